// Shared by every page. consoleFetch: fetch() with the CSRF token every state-changing request needs.
"use strict";
function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]').content;
}
function consoleFetch(url, options = {}) {
  const headers = new Headers(options.headers || {});
  headers.set("X-CSRFToken", csrfToken());
  return fetch(url, {...options, headers, credentials: "same-origin"});
}
// confirmThen(form, text): a form that asks before it submits (every action that changes something)
document.addEventListener("submit", (ev) => {
  const text = ev.target.dataset.confirm;
  if (text && !window.confirm(text)) ev.preventDefault();
});
