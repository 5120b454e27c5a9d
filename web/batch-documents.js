// Batch documents: upload files into a folder (POST /api/documents) and the folders with their document counts
// (GET /api/folders). Other parts of the Batches view read the folders from here.

import { api } from "./api.js";
import { readBase64 } from "./contracts.js";
import { byId, clear, formatNumber, h, hideError, plural, showError } from "./dom.js";

const EXTENSIONS = [".txt", ".md", ".docx", ".pdf"];

export class Folders extends EventTarget {
  constructor() {
    super();
    this.folders = [];
  }

  async load() {
    const body = await api("folders");
    this.folders = body.folders || [];
    this.dispatchEvent(new Event("change"));
  }
}

export function setUpDocuments(folders) {
  const form = byId("document-form");
  const folder = byId("document-folder");
  const files = byId("document-file");
  const error = byId("document-error");
  const status = byId("document-status");
  const submit = byId("document-submit");

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    hideError(error);
    status.textContent = "";
    const name = folder.value.trim();
    const chosen = [...(files.files || [])];
    const problem = !name
      ? "Name the folder to upload into."
      : chosen.length === 0
        ? "Choose one or more files to upload."
        : unsupported(chosen);
    if (problem) {
      showError(error, new Error(problem));
      (name ? files : folder).focus();
      return;
    }
    submit.disabled = true;
    let uploaded = 0;
    try {
      for (const file of chosen) {
        status.textContent = `Uploading “${file.name}” (${uploaded + 1} of ${chosen.length})…`;
        const body = { folder: name, filename: file.name, content_base64: await readBase64(file) };
        await api("documents", { method: "POST", body });
        uploaded += 1;
      }
      files.value = "";
      status.textContent = `Uploaded ${plural(uploaded, "document")} to “${name}”.`;
    } catch (failure) {
      status.textContent = uploaded ? `Uploaded ${plural(uploaded, "document")} before the error.` : "";
      showError(error, failure, `Upload of “${chosen[uploaded].name}” failed.`);
    } finally {
      submit.disabled = false;
    }
    await reloadFolders(folders);
  });

  folders.addEventListener("change", () => renderFolders(folders.folders));
}

export async function reloadFolders(folders) {
  try {
    await folders.load();
  } catch (failure) {
    showError(byId("document-error"), failure, "Could not load the folders.");
  }
}

function unsupported(chosen) {
  const bad = chosen.filter((file) => !EXTENSIONS.includes(file.name.slice(file.name.lastIndexOf(".")).toLowerCase()));
  if (bad.length === 0) return "";
  return `${bad.map((f) => `“${f.name}”`).join(", ")}: not a supported file. Use ${EXTENSIONS.join(", ")}.`;
}

function renderFolders(list) {
  const body = clear(byId("folders-body"));
  const options = clear(byId("document-folder-list"));
  for (const entry of list) {
    body.append(
      h(
        "tr",
        { dataset: { folder: entry.folder } },
        h("th", { scope: "row" }, entry.folder),
        h("td", { class: "num" }, formatNumber(entry.document_count)),
      ),
    );
    options.append(h("option", { value: entry.folder }));
  }
  byId("folders-table").hidden = list.length === 0;
  byId("folders-empty").hidden = list.length > 0;
}
