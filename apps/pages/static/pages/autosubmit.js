// A <select data-autosubmit> sends its form when changed (the language and child pickers).
// A script file, not an onchange attribute: the Content-Security-Policy allows no inline script.
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target instanceof HTMLSelectElement && target.dataset.autosubmit !== undefined) {
    target.form.submit();
  }
});
