// The console's only script: asks before a form marked data-confirm is sent. Every page reads and
// every form posts without it.
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) { event.preventDefault(); }
});
