-- wrk script for POST pages (the quiz autosave): body and CSRF token from the environment,
-- then the same one-line report as report.lua.
wrk.method = "POST"
wrk.body = os.getenv("WRK_BODY")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["X-CSRFToken"] = os.getenv("WRK_CSRF")
wrk.headers["HX-Request"] = "true"
dofile("bench/report.lua")
