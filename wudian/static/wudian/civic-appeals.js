// The visit form's "another appeal" button: a new row from the formset's empty form.
document.addEventListener("click", function (event) {
  var button = event.target.closest("#add-appeal");
  if (!button) return;
  var total = document.querySelector('input[name="appeals-TOTAL_FORMS"]');
  var rows = document.getElementById("appeal-rows");
  var template = document.getElementById("appeal-template");
  var index = parseInt(total.value, 10);
  if (index >= parseInt(button.dataset.max, 10)) {
    button.disabled = true;
    return;
  }
  var html = template.innerHTML.replace(/__prefix__/g, String(index));
  rows.insertAdjacentHTML("beforeend", html);
  var added = rows.lastElementChild;
  added.querySelector("[data-number]").textContent = String(index + 1);
  total.value = String(index + 1);
  added.querySelector("textarea").focus();
});
