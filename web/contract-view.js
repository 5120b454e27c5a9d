// The contract viewer (#contract/<contract_id>, optionally ?clause=<title>&quote=<text>): a contract's full text
// with its clauses (number, title, character offsets) from GET /api/contracts/{id}, an outline that moves to each,
// and — opened from a finding or a citation — the clause found, scrolled to, highlighted and focused.
//
// Finding the clause: the quote first (its words, in order, anywhere in the text, whatever the spacing between
// them), then the clause title (exact, then the start of a title). Text goes in as text, never as HTML.

import { api } from "./api.js";
import { byId, clear, formatNumber, h, hideError, plural, showError } from "./dom.js";

const FORMAT_LABELS = { text: "Text", txt: "TXT", md: "Markdown", docx: "Word", pdf: "PDF" };
const QUOTE_WORDS = 12; // enough words to be unique in a contract, few enough to survive an excerpt's cut

/** The viewer's address for a contract, optionally at a clause (its title) and a quote in it. */
export function contractHref(contractId, { clause = "", quote = "" } = {}) {
  const params = new URLSearchParams();
  if (clause) params.set("clause", clause);
  const words = wordsOf(quote).slice(0, QUOTE_WORDS);
  if (words.length) params.set("quote", words.join(" "));
  const query = params.toString();
  return `#contract/${encodeURIComponent(contractId)}${query ? `?${query}` : ""}`;
}

function wordsOf(text) {
  return String(text || "").replace(/…$/, "").match(/[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu) || [];
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Where the quote's words are in `text`, in order, with anything but letters and digits between them. */
export function findQuote(text, quote) {
  const words = wordsOf(quote);
  if (!words.length) return null;
  const pattern = new RegExp(words.map(escapeRegExp).join("[^\\p{L}\\p{N}]+"), "u");
  const match = pattern.exec(text);
  return match ? { start: match.index, end: match.index + match[0].length } : null;
}

// Markdown's emphasis marks: kept in the text (offsets are the stored text's) but not shown in a Markdown contract.
const EMPHASIS = /(\*\*|__)/;

/** The nodes of `text`: emphasis marks hidden when `markdown`, and the characters in `range` (offsets into `text`)
 * inside <mark> elements. */
function textNodes(text, markdown, range = null) {
  const pieces = markdown ? text.split(EMPHASIS) : [text];
  const nodes = [];
  let at = 0;
  for (const piece of pieces) {
    if (markdown && EMPHASIS.test(piece) && piece.length === 2) {
      nodes.push(h("span", { class: "md-mark", "aria-hidden": "true" }, piece));
    } else if (range && range.start < at + piece.length && range.end > at) {
      const from = Math.max(0, range.start - at);
      const to = Math.min(piece.length, range.end - at);
      nodes.push(piece.slice(0, from), h("mark", {}, piece.slice(from, to)), piece.slice(to));
    } else {
      nodes.push(piece);
    }
    at += piece.length;
  }
  return nodes.filter((node) => node !== "");
}

function normalTitle(title) {
  return String(title || "").toLowerCase().replace(/[^\p{L}\p{N}]+/gu, " ").trim();
}

export class ContractView {
  constructor(library) {
    this.library = library;
    this.contract = null;
    this.loading = null;
  }

  async show(contractId, { clause = "", quote = "" } = {}) {
    const body = byId("contract-body");
    const error = byId("contract-error");
    hideError(error);
    if (!this.contract || this.contract.contract_id !== contractId) {
      byId("contract-heading").textContent = this.library.titleOf(contractId);
      clear(body).append(h("p", { class: "loading" }, "Loading the contract…"));
      try {
        this.contract = await api(`contracts/${encodeURIComponent(contractId)}`);
      } catch (problem) {
        this.contract = null;
        clear(body);
        byId("contract-heading").textContent = "Contract";
        const lead = problem && problem.status === 404 ? "This contract is no longer in the library." : "Could not open the contract.";
        showError(error, problem, lead);
        return;
      }
      this.render();
    }
    if (clause || quote) this.locate(clause, quote);
  }

  render() {
    const contract = this.contract;
    byId("contract-heading").textContent = contract.title;
    const clauses = contract.clauses || [];
    this.markdown = contract.source_format === "md";
    const meta = [
      FORMAT_LABELS[contract.source_format] || contract.source_format,
      plural(clauses.length, "clause"),
      `${formatNumber(contract.token_count)} tokens`,
      `${formatNumber(contract.text.length)} characters`,
    ];
    this.sections = new Map();
    const text = h("div", { class: "contract-text", id: "contract-text" });
    let at = 0;
    for (const clause of clauses) {
      const gap = contract.text.slice(at, clause.start);
      if (gap.trim()) text.append(h("div", { class: "contract-gap" }, gap.trim())); // blank lines: the layout's job
      const section = h(
        "section",
        {
          class: "contract-clause",
          id: `clause-${clause.index}`,
          tabindex: "-1",
          "aria-labelledby": `clause-${clause.index}-title`,
          dataset: { level: String(clause.level || 1) },
        },
        h(
          "h2",
          { class: "clause-title", id: `clause-${clause.index}-title` },
          clause.number ? h("span", { class: "clause-number" }, clause.number) : null,
          clause.title,
          h("span", { class: "clause-offsets" }, `characters ${formatNumber(clause.start)}–${formatNumber(clause.end)}`),
        ),
        h("div", { class: "clause-body" }, textNodes(contract.text.slice(clause.start, clause.end), this.markdown)),
      );
      this.sections.set(clause.index, section);
      text.append(section);
      at = Math.max(at, clause.end);
    }
    const tail = contract.text.slice(at).trim();
    if (tail) text.append(h("div", { class: "contract-gap" }, tail));
    const outline = h(
      "nav",
      { class: "contract-outline", "aria-label": "Clauses" },
      h("h2", { class: "outline-title" }, "Clauses"),
      h(
        "ol",
        {},
        clauses.map((clause) =>
          h(
            "li",
            { dataset: { level: String(clause.level || 1) } },
            h(
              "a",
              {
                href: `#clause-${clause.index}`,
                onclick: (event) => {
                  event.preventDefault(); // the address stays the viewer's
                  this.focus(clause, null);
                },
              },
              clause.number ? `${clause.number} ${clause.title}` : clause.title,
            ),
            h("span", { class: "sub" }, `${formatNumber(clause.start)}–${formatNumber(clause.end)}`),
          ),
        ),
      ),
    );
    clear(byId("contract-body")).append(
      h("p", { class: "result-meta" }, meta.join(" · ")),
      h("p", { class: "form-status", id: "contract-located", role: "status" }),
      h("div", { class: "contract-layout" }, outline, text),
    );
  }

  /** The clause a finding or citation is about: by its quote, else by its title. */
  locate(title, quote) {
    const contract = this.contract;
    const clauses = contract.clauses || [];
    const found = findQuote(contract.text, quote);
    let clause = null;
    if (found) {
      // The innermost clause holding the quote's start (sub-clauses come after their parent).
      clause = clauses.filter((c) => c.start <= found.start && found.start < c.end).pop() || null;
    }
    if (!clause && title) {
      const wanted = normalTitle(title);
      clause = clauses.find((c) => normalTitle(c.title) === wanted) || clauses.find((c) => wanted && normalTitle(c.title).startsWith(wanted)) || null;
    }
    const status = byId("contract-located");
    if (!clause) {
      status.textContent = `“${title || quote}” was not found in this contract's current text.`;
      return;
    }
    this.focus(clause, found && found.start >= clause.start && found.end <= clause.end ? found : null);
    status.textContent = `Showing ${clause.number ? `${clause.number} ` : ""}“${clause.title}”, characters ${formatNumber(clause.start)}–${formatNumber(clause.end)}.`;
  }

  focus(clause, quoteRange) {
    for (const other of byId("contract-text").querySelectorAll(".located")) other.classList.remove("located");
    const text = this.contract.text;
    for (const body of byId("contract-text").querySelectorAll(".clause-body.marked")) {
      const section = body.closest(".contract-clause");
      const other = (this.contract.clauses || []).find((c) => `clause-${c.index}` === section.id);
      if (other) body.replaceChildren(...textNodes(text.slice(other.start, other.end), this.markdown));
      body.classList.remove("marked");
    }
    const section = this.sections.get(clause.index);
    if (!section) return;
    if (quoteRange) {
      const body = section.querySelector(".clause-body");
      const range = { start: quoteRange.start - clause.start, end: quoteRange.end - clause.start };
      body.replaceChildren(...textNodes(text.slice(clause.start, clause.end), this.markdown, range));
      body.classList.add("marked");
    }
    section.classList.add("located");
    section.scrollIntoView({ block: "start" });
    section.focus({ preventScroll: true });
  }
}
