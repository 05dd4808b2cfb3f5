// The admin Branding screen's live preview (issue 25, views/admin/branding/index.ejs): as the administrator types,
// the mock login card shows the name, the colour (by pointing its stylesheet link at
// /admin/branding/preview.css?color=…, which the server styles only for a colour it would accept) and a chosen logo
// (read in the browser as a data: URL, which the CSP's img-src allows; nothing is uploaded before saving). The
// colour's contrast is measured as the server does (WCAG relative luminance, against the surfaces it names in
// data-surfaces) and said next to the field. Everything it needs comes from data attributes: the CSP allows no
// inline script or style. Without it the form works the same; the preview then shows the saved brand.
(function () {
  'use strict';

  var HEX = /^#?([0-9a-fA-F]{6})$/;

  function channel(value) {
    var c = value / 255;
    return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
  }

  function luminance(hex) {
    var n = parseInt(hex.slice(1), 16);
    return 0.2126 * channel((n >> 16) & 0xff) + 0.7152 * channel((n >> 8) & 0xff) + 0.0722 * channel(n & 0xff);
  }

  function ratio(a, b) {
    var x = luminance(a);
    var y = luminance(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  }

  /** '#rrggbb' in lower case, or null. */
  function colourOf(text) {
    var match = HEX.exec(text.trim());
    return match ? '#' + match[1].toLowerCase() : null;
  }

  function setUp(preview) {
    var form = document.querySelector('form[enctype="multipart/form-data"]');
    var link = document.querySelector('link[data-brand-preview-style]');
    if (!form || !link) return;
    var nameInput = form.querySelector('#name');
    var colourInput = form.querySelector('#color');
    var picker = form.querySelector('[data-brand-picker]');
    var contrast = form.querySelector('[data-brand-contrast]');
    var logoInput = form.querySelector('#logo');
    var nameShown = preview.querySelector('[data-brand-preview-name]');
    var logoShown = preview.querySelector('[data-brand-preview-logo]');
    var base = link.getAttribute('data-base') || '';
    var configuredName = preview.getAttribute('data-configured-name') || '';
    var configuredColour = colourOf(preview.getAttribute('data-configured-color') || '');
    var minimum = Number(preview.getAttribute('data-min-contrast')) || 4.5;
    var surfaces = (preview.getAttribute('data-surfaces') || '#ffffff').split(' ').filter(colourOf);

    function showColour() {
      var typed = colourInput.value.trim();
      var colour = typed === '' ? configuredColour : colourOf(typed);
      var text = '';
      var usable = false;
      if (typed !== '' && colour === null) {
        text = 'Write the colour as #rrggbb.';
      } else if (colour !== null) {
        var worst = Math.min.apply(
          null,
          surfaces.map(function (surface) {
            return ratio(colour, surface);
          }),
        );
        var shown = (Math.floor(worst * 100) / 100).toFixed(2);
        usable = worst >= minimum;
        text = usable ? 'Contrast ' + shown + ':1: passes WCAG AA.' : 'Contrast ' + shown + ':1: below the ' + minimum + ':1 WCAG AA requires; this colour would be refused.';
        if (picker && picker.value !== colour) picker.value = colour;
      }
      if (contrast) contrast.textContent = text;
      var href = usable ? base + '?color=' + encodeURIComponent(colour) : base;
      if (link.getAttribute('href') !== href) link.setAttribute('href', href);
    }

    function showName() {
      if (!nameShown) return;
      var typed = nameInput ? nameInput.value.trim() : '';
      nameShown.textContent = typed === '' ? configuredName : typed;
    }

    function showLogo() {
      var file = logoInput && logoInput.files && logoInput.files[0];
      var Reader = window.FileReader;
      if (!file || !logoShown || typeof Reader !== 'function') return;
      var reader = new Reader();
      reader.addEventListener('load', function () {
        if (typeof reader.result !== 'string') return;
        logoShown.setAttribute('src', reader.result);
        logoShown.hidden = false;
      });
      reader.readAsDataURL(file);
    }

    if (nameInput) nameInput.addEventListener('input', showName);
    if (colourInput) colourInput.addEventListener('input', showColour);
    if (picker && colourInput) {
      picker.addEventListener('input', function () {
        colourInput.value = picker.value;
        showColour();
      });
    }
    if (logoInput) logoInput.addEventListener('change', showLogo);
    showColour();
  }

  function start() {
    var preview = document.querySelector('[data-testid="brand-preview"]');
    if (preview) setUp(preview);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
