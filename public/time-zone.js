// Tells the server the browser's time zone (issue 25), so dates on the pages are in the person's own time until
// they save one on their account. Only a zone name; read back by the server only if Intl knows it.
(function () {
  'use strict';
  var script = document.currentScript;
  var name = script && script.getAttribute('data-cookie');
  if (!name) return;
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (_error) {
    return;
  }
  if (!zone || !/^[A-Za-z0-9_+/-]{1,64}$/.test(zone)) return;
  var secure = location.protocol === 'https:' ? '; Secure' : '';
  document.cookie = name + '=' + encodeURIComponent(zone) + '; Path=/; Max-Age=31536000; SameSite=Lax' + secure;
})();
