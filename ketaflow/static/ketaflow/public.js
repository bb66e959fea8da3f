// Public site enhancements. Every page works without JavaScript; CSP forbids inline scripts.
(() => {
  "use strict";

  // Crisis resources appear as soon as an answer suggests thoughts of self-harm
  // (PHQ-9 item 9 above "Not at all", or "Yes" to the direct question).
  function setUpCrisisTrigger() {
    const panel = document.getElementById("crisis-now");
    if (!panel) return;
    const names = ["phq9_9", "thoughts_of_self_harm"];
    const selector = names.map((name) => `input[name="${name}"]`).join(",");
    const update = (event) => {
      const flagged = Array.from(document.querySelectorAll(selector)).some(
        (input) => input.checked && input.value !== "0" && input.value !== "no",
      );
      const wasHidden = panel.hidden;
      panel.hidden = !flagged;
      if (flagged && wasHidden && event) {
        panel.scrollIntoView({ behavior: "smooth", block: "start" });
        panel.focus({ preventScroll: true });
      }
    };
    for (const input of document.querySelectorAll(selector)) input.addEventListener("change", update);
    update(null);
  }

  // "Use my current location": fills the hidden latitude/longitude fields and submits (POST, not the URL).
  function setUpGeolocation() {
    const button = document.getElementById("use-location");
    const form = document.getElementById("nearest-form");
    if (!button || !form || !("geolocation" in navigator)) return;
    const status = document.getElementById("geo-status");
    button.hidden = false;
    button.addEventListener("click", () => {
      status.textContent = "Finding your location…";
      navigator.geolocation.getCurrentPosition(
        (position) => {
          form.querySelector('input[name="latitude"]').value = position.coords.latitude.toFixed(4);
          form.querySelector('input[name="longitude"]').value = position.coords.longitude.toFixed(4);
          form.querySelector('input[name="zip_code"]').value = "";
          status.textContent = "Location found. Showing the nearest clinics…";
          form.requestSubmit();
        },
        () => {
          status.textContent = "We could not get your location. Please enter your ZIP code instead.";
        },
        { enableHighAccuracy: false, timeout: 10000, maximumAge: 600000 },
      );
    });
  }

  // Move focus to the error summary after a failed submit so screen readers announce it.
  function focusErrorSummary() {
    const summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  }

  document.addEventListener("DOMContentLoaded", () => {
    setUpCrisisTrigger();
    setUpGeolocation();
    focusErrorSummary();
  });
})();
