from django.contrib import admin


class ReadOnlyContentAdmin(admin.ModelAdmin):
    """Content rows are written by `load_course` only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
