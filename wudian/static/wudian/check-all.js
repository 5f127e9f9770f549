// The "tick all" box of a list ticks every row of the bulk form.
document.addEventListener("change", function (event) {
  if (event.target.id !== "check-all") return;
  document.querySelectorAll('#bulk input[name="ids"]').forEach(function (box) {
    box.checked = event.target.checked;
  });
});
