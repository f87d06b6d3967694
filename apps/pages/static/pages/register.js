// Taking a register by keyboard: one key per change. Without JavaScript the radio buttons and
// the save button do the same job.
(function () {
  "use strict";
  var form = document.getElementById("register");
  if (!form) return;
  var keys = { p: "present", a: "absent", l: "late", e: "excused" };
  var rows = Array.prototype.slice.call(form.querySelectorAll(".register-row"));

  function focusRow(index) {
    if (index < 0 || index >= rows.length) return;
    var checked = rows[index].querySelector("input[type=radio]:checked") ||
      rows[index].querySelector("input[type=radio]");
    checked.focus();
  }

  rows.forEach(function (row, index) {
    row.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      var code = keys[event.key.toLowerCase()];
      if (code) {
        var radio = row.querySelector("input[type=radio][value=" + code + "]");
        radio.checked = true;
        event.preventDefault();
        if (index + 1 < rows.length) focusRow(index + 1); else form.querySelector("button[type=submit]").focus();
      } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        // Arrows move between students, not between one student's codes (that is P/A/L/E).
        event.preventDefault();
        focusRow(index + (event.key === "ArrowDown" ? 1 : -1));
      } else if (event.key === "Enter") {
        event.preventDefault();
        form.requestSubmit();
      }
    });
  });

  // One save at a time: a second Enter while the first is on its way would only repeat it.
  form.addEventListener("submit", function () {
    form.querySelector("button[type=submit]").disabled = true;
  });
  window.addEventListener("pageshow", function () {
    form.querySelector("button[type=submit]").disabled = false;
  });
  focusRow(0);
})();
