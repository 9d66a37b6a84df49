(function () {
  var body = document.body;
  var button = document.getElementById("runspine-toggle-code");
  if (button) {
    button.addEventListener("click", function () {
      var hidden = body.classList.toggle("runspine-hide-code");
      button.textContent = hidden ? "Show code" : "Hide code";
      button.setAttribute("aria-pressed", hidden ? "false" : "true");
    });
  }
  var list = document.getElementById("runspine-toc-list");
  if (list) {
    var heads = document.querySelectorAll("main h2[id]");
    for (var i = 0; i < heads.length; i++) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = "#" + heads[i].id;
      a.textContent = heads[i].textContent.replace(/\u00b6$/, "").trim();
      li.appendChild(a);
      list.appendChild(li);
    }
  }
})();
