// evgrid web pages: the site and city forms' helpers and a job's progress. No external resources.
(function () {
  "use strict";

  const form = document.getElementById("site-form");
  if (form) {
    const kind = document.getElementById("field-kind");
    const method = document.getElementById("opt-method");
    const show = (row, on) => {
      row.hidden = !on;
      row.querySelectorAll("input, select").forEach((el) => { el.disabled = !on; });
    };
    // only the fields of the chosen kind; the time-series options only with that method
    const sync = () => {
      form.querySelectorAll("[data-kinds]").forEach((row) => {
        show(row, row.dataset.kinds.split(" ").includes(kind.value));
      });
      form.querySelectorAll("[data-methods]").forEach((row) => {
        show(row, row.dataset.methods.split(" ").includes(method.value || "index"));
      });
    };
    kind.addEventListener("change", sync);
    method.addEventListener("change", sync);
    sync();
    const cases = JSON.parse(form.dataset.cases);
    document.getElementById("case").addEventListener("change", (event) => {
      const chosen = cases[event.target.value];
      if (!chosen) return;
      form.querySelectorAll("#describe input, #describe select").forEach((el) => {
        if (el.id !== "case") el.value = "";
      });
      kind.value = chosen.kind;
      Object.entries(chosen).forEach(([name, value]) => {
        const el = document.getElementById("field-" + name);
        if (el) el.value = String(value);
      });
      sync();
    });
    form.addEventListener("submit", () => {
      document.getElementById("busy").hidden = false;
      document.getElementById("run").disabled = true;
    });
  }

  const city = document.getElementById("city-form");
  if (city) {
    // the time-series options only with that method
    const method = document.getElementById("city-method");
    const sync = () => {
      city.querySelectorAll("[data-methods]").forEach((row) => {
        row.hidden = !row.dataset.methods.split(" ").includes(method.value || "index");
        row.querySelectorAll("input, select").forEach((el) => { el.disabled = row.hidden; });
      });
    };
    method.addEventListener("change", sync);
    sync();
  }

  const job = document.getElementById("job");
  if (job && (job.dataset.state === "queued" || job.dataset.state === "running")) {
    const bar = document.getElementById("job-progress");
    const message = document.getElementById("job-message");
    const state = document.getElementById("job-state");
    const poll = async () => {
      try {
        const response = await fetch("/api/jobs/" + job.dataset.jobId, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        if (response.ok) {
          const status = await response.json();
          if (status.progress !== null) bar.value = status.progress;
          message.textContent = status.message || "";
          state.dataset.state = status.state;
          if (status.state !== job.dataset.state) {
            window.location.reload();
            return;
          }
        }
      } catch (error) {
        // the server may be restarting: try again
      }
      window.setTimeout(poll, 400);
    };
    window.setTimeout(poll, 200);
  }
})();
