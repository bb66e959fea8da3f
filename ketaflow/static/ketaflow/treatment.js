// Day board: drag a booking card onto another chair's row to move it (same time). Click-to-move works
// without JavaScript through each card's "Move" form; dragging only fills that form and submits it.
(function () {
  "use strict";
  let dragged = null;
  document.addEventListener("dragstart", function (event) {
    const card = event.target.closest && event.target.closest(".card[data-move-url]");
    if (!card) return;
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.moveUrl);
  });
  document.addEventListener("dragover", function (event) {
    const row = event.target.closest && event.target.closest(".board-row[data-chair]");
    if (!row || !dragged) return;
    event.preventDefault();
    document.querySelectorAll(".drop-target").forEach(function (el) { el.classList.remove("drop-target"); });
    row.classList.add("drop-target");
  });
  document.addEventListener("drop", function (event) {
    const row = event.target.closest && event.target.closest(".board-row[data-chair]");
    if (!row || !dragged) return;
    event.preventDefault();
    row.classList.remove("drop-target");
    const form = dragged.querySelector(".move-form");
    const select = form && form.querySelector("select[name=chair]");
    if (select && select.value !== row.dataset.chair) {
      select.value = row.dataset.chair;
      form.requestSubmit();
    }
    dragged = null;
  });
  document.addEventListener("dragend", function () {
    dragged = null;
    document.querySelectorAll(".drop-target").forEach(function (el) { el.classList.remove("drop-target"); });
  });
})();
