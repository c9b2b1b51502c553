// Counts down to the idle deadline shown on the page (data-deadline, ms since the epoch).
for (const el of document.querySelectorAll("[data-deadline]")) {
  const deadline = Number(el.getAttribute("data-deadline"));
  const tick = () => {
    const left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    el.textContent =
      left > 0 ? `${Math.floor(left / 60)} min ${left % 60} s` : "expired — reload to see";
  };
  tick();
  setInterval(tick, 1000);
}
