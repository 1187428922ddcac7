-- wrk script for POST pages (the quiz autosave), then the same one-line report as report.lua.
-- With WRK_STUDENTS (a file from bench/pages_setup.py: cookie, CSRF token, path and two bodies
-- per line, tab-separated), each wrk thread takes its share of the students and sends their saves
-- in turn, each student alternating between two answers: many students saving at once, as in a
-- quiz. Without it, WRK_BODY and WRK_CSRF are sent to the URL given on the command line.
local students = {}
local next_student = 0

local function split(line)
  local fields = {}
  for field in string.gmatch(line, "[^\t]+") do fields[#fields + 1] = field end
  return fields
end

local threads_made = 0
setup = function(thread)  -- runs in the main state: number the threads
  thread:set("thread_id", threads_made)
  threads_made = threads_made + 1
end

init = function(args)
  local file = os.getenv("WRK_STUDENTS")
  if not file or file == "" then return end
  local all = {}
  for line in io.lines(file) do
    if line ~= "" then all[#all + 1] = split(line) end
  end
  local threads = tonumber(os.getenv("WRK_THREADS") or "2")
  for i, student in ipairs(all) do  -- thread k (0-based) takes students k+1, k+1+threads, ...
    if (i - 1) % threads == thread_id % threads then
      students[#students + 1] = {cookie = student[1], csrf = student[2], path = student[3],
                                 bodies = {student[4], student[5]}, sent = 0}
    end
  end
end

local headers = {["Content-Type"] = "application/x-www-form-urlencoded", ["HX-Request"] = "true"}

request = function()
  if #students == 0 then
    headers["Cookie"] = wrk.headers["Cookie"]
    headers["X-CSRFToken"] = os.getenv("WRK_CSRF")
    return wrk.format("POST", nil, headers, os.getenv("WRK_BODY"))
  end
  next_student = next_student % #students + 1
  local student = students[next_student]
  student.sent = student.sent + 1
  headers["Cookie"] = student.cookie
  headers["X-CSRFToken"] = student.csrf
  return wrk.format("POST", student.path, headers, student.bodies[student.sent % 2 + 1])
end

dofile("bench/report.lua")
