// The language switch applies on change; without scripts its button does the same.
document.addEventListener("change", function (event) {
  var select = event.target;
  if (select && select.id === "lang-switch" && select.form) {
    select.form.submit();
  }
});
