// Tell the server the browser's time zone (lms/timezones.py), so that pages show local times.
// IANA names ("Europe/Berlin", "America/Argentina/Buenos_Aires") are valid cookie values as they are.
(function () {
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone && document.cookie.split("; ").indexOf("tz=" + zone) === -1) {
    document.cookie = "tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax";
  }
})();
