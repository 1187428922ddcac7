"""The quiz in one room: its files (quiz.yaml), import, the attempt services, the student views,
the instructor admin and the item statistics. The models stay in courses/models/quiz.py, where
the migrations expect them.
"""
