/* The sign-in page without a network. It cannot sign anyone in then, so it says what to do instead of letting the
   browser fail on its form. The service worker's copy of the page (data-offline-copy, served when the network failed)
   has its form disabled, for its CSRF token is stale: once the network is back, the page is fetched afresh. The service
   worker may learn that the network is back after the page does and answer the copy again: the copy then tries again,
   a little later each time, for as long as the page believes it is online. */
(() => {
  const copy = document.body.hasAttribute("data-offline-copy");
  const hint = document.getElementById("offline-hint");
  if (!hint) return;

  const offline = () => copy || !navigator.onLine;
  const show = () => {
    hint.hidden = !offline();
  };

  const TRIES = "fieldsales-sign-in-tries";
  const again = () => {
    const tries = Number(sessionStorage.getItem(TRIES) || 0);
    sessionStorage.setItem(TRIES, String(tries + 1));
    setTimeout(() => navigator.onLine && location.reload(), Math.min(30000, 250 * 2 ** tries));
  };
  if (!copy) sessionStorage.removeItem(TRIES);
  else if (navigator.onLine) again();

  addEventListener("offline", show);
  addEventListener("online", () => (copy ? location.reload() : show()));
  for (const form of document.forms) {
    form.addEventListener("submit", (event) => {
      if (!offline()) return;
      event.preventDefault();
      show();
      hint.focus();
    });
  }
  show();
})();
