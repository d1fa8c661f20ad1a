/* Accessibility fixes for markup the theme and extensions generate, found by the axe-core audit
   of the browser test (tests/browser/test_accessibility.py). Jupyter Book adds every .js file in
   _static/ to every page. Each fix corrects what a screen reader announces; nothing visible
   changes. */
document.addEventListener("DOMContentLoaded", () => {
  // myst-nb labels each "Show code cell source" toggle "Toggle hidden content", which hides the
  // visible, more precise text from screen readers (WCAG 2.5.3, label in name). Without the
  // label, the name is the visible text, and it follows the state (show/hide).
  document
    .querySelectorAll('summary[aria-label="Toggle hidden content"]')
    .forEach((summary) => summary.removeAttribute("aria-label"));

  // Font Awesome icons inside a labelled button or link are decoration: the label names the
  // control. Hidden from assistive technology, they no longer count as its visible text.
  document
    .querySelectorAll("button[aria-label] i, a[aria-label] i")
    .forEach((icon) => icon.setAttribute("aria-hidden", "true"));

  // The search button shows "Search Ctrl+K" but is labelled "Search": name it by what it shows.
  document.querySelectorAll("button.search-button-field[aria-label]").forEach((button) => {
    const shown = button.textContent.replace(/\s+/g, " ").trim();
    if (shown) button.setAttribute("aria-label", shown);
  });

  // The colour-mode button shows one icon per mode, titled "Light", "Dark" or "System Settings",
  // but is labelled only "Color mode", so a screen reader never says which mode is on. Name it
  // "Color mode: Light" and follow the mode when it changes.
  const themeButton = document.querySelector("button.theme-switch-button");
  const nameMode = () => {
    const mode = document.documentElement.dataset.mode;
    const icon = themeButton.querySelector(`[data-mode="${mode}"]`);
    const title = icon && (icon.getAttribute("title") || icon.textContent.trim());
    if (title) themeButton.setAttribute("aria-label", `Color mode: ${title}`);
  };
  if (themeButton) {
    nameMode();
    new MutationObserver(nameMode).observe(document.documentElement, {
      attributes: true,
      attributeFilter: ["data-mode"],
    });
  }

  // docutils marks bibliography entries with the DPUB role doc-biblioentry, deprecated in
  // DPUB-ARIA 1.1 and not allowed inside role="list": a list must hold list items.
  document
    .querySelectorAll('.citation-list > [role="doc-biblioentry"]')
    .forEach((entry) => entry.setAttribute("role", "listitem"));
});
