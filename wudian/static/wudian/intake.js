// A request's intake fields: the description's character counter and the chosen photos'
// names, read from the data attributes the template writes.
(function () {
  var count = document.getElementById("description-count");
  var box = document.getElementById(count.dataset.for);
  var max = Number(count.dataset.max);
  function update() {
    count.textContent = box.value.length + " / " + max;
    count.classList.toggle("field-error", box.value.length >= max);
  }
  box.addEventListener("input", update);
  update();
  var names = document.getElementById("photo-names");
  var inputs = names.dataset.inputs.split(" ").map(function (id) {
    return document.getElementById(id);
  });
  var maxPhotos = Number(names.dataset.max);
  var tooMany = document.getElementById("photos-too-many");
  function listPhotos() {
    var chosen = 0;
    names.textContent = "";
    inputs.forEach(function (input) {
      Array.prototype.forEach.call(input.files, function (file) {
        var item = document.createElement("li");
        item.textContent = file.name;
        names.appendChild(item);
        chosen += 1;
      });
    });
    tooMany.hidden = chosen <= maxPhotos;
  }
  inputs.forEach(function (input) { input.addEventListener("change", listPhotos); });
})();
