/* console.js: the filing form's field check on blur (progressive
   enhancement; every page works without it). When the user leaves an input
   of a form marked data-check="URL", the form's values are posted to URL
   with field=<the input's name>; the answer, {"problems":[{"field",
   "message"}]}, is the save's own check, and the input's message is shown
   beside it (or removed), as the server renders it after a save. */
(function () {
  'use strict';
  if (!window.fetch || !window.FormData || !window.URLSearchParams) {
    return;
  }
  var form = document.querySelector('form[data-check]');
  if (!form) {
    return;
  }
  var url = form.getAttribute('data-check');
  var seq = {};

  function describedBy(el, id, on) {
    var ids = (el.getAttribute('aria-describedby') || '').split(/\s+/).filter(function (x) {
      return x && x !== id;
    });
    if (on) {
      ids.push(id);
    }
    if (ids.length) {
      el.setAttribute('aria-describedby', ids.join(' '));
    } else {
      el.removeAttribute('aria-describedby');
    }
  }

  function show(el, messages) {
    var box = el.closest('.field') || el.parentNode;
    var id = el.id + '-error';
    var p = document.getElementById(id);
    if (messages.length) {
      if (!p) {
        p = document.createElement('p');
        p.className = 'field-error';
        p.id = id;
        box.insertBefore(p, el);
      }
      p.textContent = messages.join(' ');
      p.setAttribute('aria-live', 'polite');
      el.setAttribute('aria-invalid', 'true');
      box.classList.add('field-invalid');
      describedBy(el, id, true);
      return;
    }
    if (p) {
      p.parentNode.removeChild(p);
    }
    el.removeAttribute('aria-invalid');
    box.classList.remove('field-invalid');
    describedBy(el, id, false);
  }

  function check(el) {
    var body = new URLSearchParams(new FormData(form));
    body.set('field', el.name);
    var n = (seq[el.name] || 0) + 1;
    seq[el.name] = n;
    fetch(url, {
      method: 'POST',
      body: body,
      credentials: 'same-origin',
      headers: {'Accept': 'application/json'}
    }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (answer) {
      if (!answer || seq[el.name] !== n) {
        return; /* a failed check says nothing; a later one answers */
      }
      var messages = [];
      (answer.problems || []).forEach(function (p) {
        if (p.field === el.name) {
          messages.push(p.message);
        }
      });
      show(el, messages);
    }).catch(function () {});
  }

  /* blur does not bubble; focusout does. An untouched empty input is
     left alone until the user types or the server already marked it. */
  form.addEventListener('focusout', function (ev) {
    var el = ev.target;
    if (!el.name || el.readOnly || el.disabled || !/^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName) ||
        /^(hidden|submit|button|file)$/.test(el.type)) {
      return;
    }
    if (el.value === '' && el.getAttribute('aria-invalid') !== 'true') {
      return;
    }
    check(el);
  });
})();
