// Autocomplete of the admin membership forms (issue 21): an <input data-suggest-url=… list=…> gets its <datalist>
// filled, as the administrator types, from the admin suggestion endpoints (GET /admin/users/suggest?q= and
// /admin/groups/suggest?q=: at most 10 matches, JSON, same origin). Everything it needs comes from data attributes:
// the CSP allows no inline script. Without this script the forms work the same: the email or name is typed out.
(function () {
  'use strict';

  /** Wait this long after the last keystroke: one request per pause, not one per key. */
  var PAUSE_MS = 200;

  /** What an answer suggests: [value, label] pairs, by the kind of the endpoint. */
  function suggestionsOf(kind, data) {
    if (kind === 'users' && data && Array.isArray(data.users)) {
      return data.users.map(function (user) {
        return [String(user.email), user.name ? String(user.name) : ''];
      });
    }
    if (kind === 'groups' && data && Array.isArray(data.groups)) {
      return data.groups.map(function (group) {
        return [String(group.name), group.description ? String(group.description) : ''];
      });
    }
    return [];
  }

  function setUp(input) {
    var list = input.list;
    var url = input.getAttribute('data-suggest-url');
    var kind = input.getAttribute('data-suggest-kind');
    if (!list || !url || !kind) return;
    var timer = null;
    // Answers can arrive out of order: only the one for the latest text is shown.
    var latest = 0;

    function fill(pairs) {
      // Built with the DOM, never as HTML: a name is text.
      while (list.firstChild) list.removeChild(list.firstChild);
      pairs.forEach(function (pair) {
        var option = document.createElement('option');
        option.value = pair[0];
        if (pair[1]) option.textContent = pair[1];
        list.appendChild(option);
      });
    }

    async function ask(text, ticket) {
      try {
        var response = await fetch(url + '?' + new URLSearchParams({ q: text }).toString(), {
          credentials: 'same-origin',
          headers: { Accept: 'application/json' },
          redirect: 'error',
        });
        var type = response.headers.get('Content-Type') || '';
        if (!response.ok || type.indexOf('application/json') !== 0) return;
        var data = await response.json();
        if (ticket === latest) fill(suggestionsOf(kind, data));
      } catch (_error) {
        // No suggestions (signed out, offline): the field still takes what is typed.
      }
    }

    input.addEventListener('input', function () {
      var text = input.value.trim();
      latest += 1;
      var ticket = latest;
      if (timer !== null) clearTimeout(timer);
      if (text === '') {
        fill([]);
        return;
      }
      timer = setTimeout(function () {
        timer = null;
        void ask(text, ticket);
      }, PAUSE_MS);
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll('input[data-suggest-url][list]'), setUp);
})();
