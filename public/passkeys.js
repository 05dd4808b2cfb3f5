// Passkeys in the browser (issue 10): the login page's "Use a passkey" button and the account page's
// "Add a passkey" form. The WebAuthn ceremonies are @simplewebauthn/browser's (the global SimpleWebAuthnBrowser,
// served from our origin); this script only carries their options and answers to and from Gatehouse as JSON.
// Everything it needs comes from data attributes: the CSP allows no inline script. Without WebAuthn (or without
// this script) the passkey controls stay hidden and the password form works alone.
// Its own messages are the page's, in the page's language (issue 25): an element `[data-passkey-messages]` carries
// them as data attributes (data-cancelled, data-already-registered, data-unsupported, data-unreachable,
// data-signed-out, data-failed); the English below is for a page that has none. The server's refusals arrive
// already translated (the JSON `message`).
(function () {
  'use strict';

  var lib = window.SimpleWebAuthnBrowser;
  if (!lib || !lib.browserSupportsWebAuthn()) return;

  var ENGLISH = {
    cancelled: 'The passkey request was cancelled or timed out. Try again when you are ready.',
    alreadyRegistered: 'This passkey is already registered here.',
    unsupported: 'Your browser could not use a passkey here.',
    unreachable: 'Gatehouse could not be reached. Check your connection and try again.',
    signedOut: 'You were signed out. Reload the page and sign in again.',
    failed: 'Something went wrong. Reload the page and try again.',
  };
  var messages = document.querySelector('[data-passkey-messages]');

  /** The page's text for `name` (a camelCase key; dataset maps data-already-registered to alreadyRegistered). */
  function text(name) {
    var given = messages && messages.dataset[name];
    return given || ENGLISH[name];
  }

  function show(box, message) {
    box.textContent = message;
    box.hidden = false;
  }

  /** What a failed ceremony says to the person: cancelling is common and is no error of theirs. */
  function ceremonyMessage(error) {
    if (error && error.name === 'NotAllowedError') return text('cancelled');
    if (error && error.name === 'InvalidStateError') return text('alreadyRegistered');
    return (error && error.message) || text('unsupported');
  }

  /** POSTs JSON; resolves to the answer's JSON, or rejects with the message to show. */
  async function postJson(url, body) {
    var response;
    try {
      response = await fetch(url, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(body),
      });
    } catch (networkError) {
      throw new Error(text('unreachable'), { cause: networkError });
    }
    var type = response.headers.get('Content-Type') || '';
    var data = type.indexOf('application/json') === 0 ? await response.json() : null;
    if (response.ok && data) return data;
    if (data && typeof data.message === 'string') throw new Error(data.message);
    // A signed-out account page is redirected to the login page, which is no JSON.
    throw new Error(response.redirected ? text('signedOut') : text('failed'));
  }

  function setUpSignIn(block) {
    var button = block.querySelector('button[data-options-url]');
    var alert = document.querySelector('[data-passkey-error]');
    var form = document.querySelector('form[action$="/login"]');
    if (!button || !alert || !form) return;
    // The password form's hidden fields say where the sign-in goes, and carry its CSRF token.
    var fields = {};
    ['request', 'return_to', 'csrf'].forEach(function (name) {
      var input = form.querySelector('input[type="hidden"][name="' + name + '"]');
      if (input) fields[name] = input.value;
    });
    block.hidden = false;
    button.addEventListener('click', async function () {
      button.disabled = true;
      alert.hidden = true;
      try {
        var ceremony = await postJson(button.getAttribute('data-options-url'), fields);
        var answer;
        try {
          answer = await lib.startAuthentication({ optionsJSON: ceremony.options });
        } catch (error) {
          throw new Error(ceremonyMessage(error), { cause: error });
        }
        var done = await postJson(button.getAttribute('data-verify-url'), Object.assign({}, fields, { challengeId: ceremony.challengeId, response: answer }));
        window.location.assign(done.redirect);
      } catch (error) {
        show(alert, error.message);
        button.disabled = false;
      }
    });
  }

  function setUpRegistration(block) {
    var form = block.querySelector('form[data-options-url]');
    var alert = block.querySelector('[data-passkey-error]');
    if (!form || !alert) return;
    block.hidden = false;
    var unsupported = document.querySelector('[data-passkey-unsupported]');
    if (unsupported) unsupported.hidden = true;
    var button = form.querySelector('button[type="submit"]');
    form.addEventListener('submit', async function (event) {
      event.preventDefault();
      var csrf = form.getAttribute('data-csrf');
      var password = form.elements.namedItem('current_password');
      var name = form.elements.namedItem('name');
      button.disabled = true;
      alert.hidden = true;
      try {
        var ceremony = await postJson(form.getAttribute('data-options-url'), { csrf: csrf, current_password: password.value });
        var answer;
        try {
          answer = await lib.startRegistration({ optionsJSON: ceremony.options });
        } catch (error) {
          throw new Error(ceremonyMessage(error), { cause: error });
        }
        var done = await postJson(form.getAttribute('data-create-url'), { csrf: csrf, challengeId: ceremony.challengeId, name: name.value, response: answer });
        window.location.assign(done.redirect);
      } catch (error) {
        show(alert, error.message);
        password.value = '';
        button.disabled = false;
      }
    });
  }

  document.querySelectorAll('[data-passkey-sign-in]').forEach(setUpSignIn);
  document.querySelectorAll('[data-passkey-register]').forEach(setUpRegistration);
})();
