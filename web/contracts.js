// The contract library: upload (a file or pasted text), list (each title opens the contract viewer), delete. Other
// views read titles from it.

import { api } from "./api.js";
import { contractHref } from "./contract-view.js";
import { byId, clear, formatDateTime, formatNumber, h, hideError, showError } from "./dom.js";

const PAGE_SIZE = 100;
const EXTENSIONS = [".txt", ".md", ".docx", ".pdf"];
const FORMAT_LABELS = { text: "Text", txt: "TXT", md: "Markdown", docx: "Word", pdf: "PDF" };

export class Library extends EventTarget {
  constructor() {
    super();
    this.contracts = [];
    this.continuation = null;
    this.titles = new Map(); // every title seen, kept after a delete so old jobs and results still read well
    // Settles after the first load, whatever its outcome: views that show titles wait for it.
    this.ready = new Promise((resolve) => {
      this.markReady = resolve;
    });
  }

  titleOf(contractId) {
    return this.titles.get(contractId) || contractId;
  }

  async load({ more = false } = {}) {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (more && this.continuation) query.set("continuation", this.continuation);
    let page;
    try {
      page = await api(`contracts?${query}`);
    } finally {
      this.markReady();
    }
    this.contracts = more ? [...this.contracts, ...page.contracts] : page.contracts;
    this.continuation = page.continuation || null;
    for (const c of this.contracts) this.titles.set(c.contract_id, c.title);
    this.dispatchEvent(new Event("change"));
  }

  async upload(body) {
    const created = await api("contracts", { method: "POST", body });
    this.titles.set(created.contract_id, created.title);
    await this.load();
    return created;
  }

  async remove(contractId) {
    await api(`contracts/${encodeURIComponent(contractId)}`, { method: "DELETE" });
    await this.load();
  }
}

/** The Contracts view: the upload form and the library table. */
export function setUpContractsView(library, { confirm }) {
  const form = byId("upload-form");
  const title = byId("upload-title");
  const file = byId("upload-file");
  const text = byId("upload-text");
  const error = byId("upload-error");
  const status = byId("upload-status");
  const submit = byId("upload-submit");
  const libraryError = byId("library-error");

  const source = () => form.querySelector("input[name=source]:checked").value;
  for (const radio of form.querySelectorAll("input[name=source]")) {
    radio.addEventListener("change", () => {
      for (const block of form.querySelectorAll("[data-source]")) block.hidden = block.dataset.source !== source();
    });
  }
  file.addEventListener("change", () => {
    const chosen = file.files && file.files[0];
    if (chosen && !title.value.trim()) title.value = chosen.name.replace(/\.[^.]+$/, "");
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    hideError(error);
    status.textContent = "";
    let body;
    try {
      body = await uploadBody(title.value, source(), file, text.value);
    } catch (problem) {
      showError(error, problem);
      return;
    }
    submit.disabled = true;
    status.textContent = "Uploading…";
    try {
      const created = await library.upload(body);
      form.reset();
      for (const block of form.querySelectorAll("[data-source]")) block.hidden = block.dataset.source !== "file";
      status.textContent = `Added “${created.title}”: ${formatNumber(created.clause_count)} clauses, ${formatNumber(
        created.token_count,
      )} tokens.`;
    } catch (problem) {
      status.textContent = "";
      showError(error, problem, "Upload failed.");
    } finally {
      submit.disabled = false;
    }
  });

  const reload = async (more = false) => {
    try {
      await library.load({ more });
      hideError(libraryError);
    } catch (problem) {
      showError(libraryError, problem, "Could not load the library.");
    }
  };
  byId("library-refresh").addEventListener("click", () => reload());
  byId("library-more").addEventListener("click", () => reload(true));

  library.addEventListener("change", () =>
    renderLibrary(library, async (contract) => {
      const ok = await confirm(
        `Delete “${contract.title}”? It is removed from the library; results already produced are kept.`,
      );
      if (!ok) return;
      try {
        await library.remove(contract.contract_id);
        hideError(libraryError);
      } catch (problem) {
        showError(libraryError, problem, `Could not delete “${contract.title}”.`);
      }
    }),
  );
  return reload;
}

async function uploadBody(rawTitle, source, fileInput, pasted) {
  const title = rawTitle.trim();
  if (source === "file") {
    const chosen = fileInput.files && fileInput.files[0];
    if (!chosen) throw new Error("Choose a file to upload.");
    const extension = chosen.name.slice(chosen.name.lastIndexOf(".")).toLowerCase();
    if (!EXTENSIONS.includes(extension)) {
      throw new Error(`“${chosen.name}” is not a supported file. Use ${EXTENSIONS.join(", ")}.`);
    }
    if (!title) throw new Error("Give the contract a title.");
    return { title, filename: chosen.name, content_base64: await readBase64(chosen) };
  }
  if (!title) throw new Error("Give the contract a title.");
  if (!pasted.trim()) throw new Error("Paste the contract text.");
  return { title, text: pasted };
}

export function readBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = String(reader.result);
      resolve(url.slice(url.indexOf(",") + 1));
    };
    reader.onerror = () => reject(new Error(`Could not read “${file.name}”.`));
    reader.readAsDataURL(file);
  });
}

function renderLibrary(library, onDelete) {
  const body = clear(byId("library-body"));
  for (const contract of library.contracts) {
    body.append(
      h(
        "tr",
        { dataset: { contractId: contract.contract_id } },
        h(
          "th",
          { scope: "row", class: "title-cell" },
          h("a", { href: contractHref(contract.contract_id) }, contract.title),
          contract.filename ? h("span", { class: "sub" }, contract.filename) : null,
        ),
        h("td", {}, FORMAT_LABELS[contract.source_format] || contract.source_format),
        h("td", { class: "num" }, formatNumber(contract.clause_count)),
        h("td", { class: "num" }, formatNumber(contract.token_count)),
        h("td", {}, formatDateTime(contract.created_at)),
        h(
          "td",
          { class: "row-actions" },
          h(
            "button",
            { type: "button", class: "quiet small", "aria-label": `Delete ${contract.title}`, onclick: () => onDelete(contract) },
            "Delete",
          ),
        ),
      ),
    );
  }
  byId("library-empty").hidden = library.contracts.length > 0;
  byId("library-table").hidden = library.contracts.length === 0;
  byId("library-more").hidden = !library.continuation;
}
