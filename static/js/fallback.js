// Runs right after a CDN <script>: if the library did not arrive (venue LAN without
// internet, CDN down), load the vendored copy before the next script runs.
(function () {
  var me = document.currentScript;
  if (!window[me.dataset.global]) {
    document.write('<script src="' + me.dataset.src + '"><\/script>');
  }
})();
