// The HTTP API, same origin. The page sends no identity of its own: locally the app assumes DEV_USER_ID, in Azure
// App Service Authentication adds the signed-in user from its session cookie, which same-origin requests carry.

// This module is served from <prefix>/ui/api.js, so the API root is one level up (routePrefix "api" by default).
const API_ROOT = new URL("../", import.meta.url);

export class ApiError extends Error {
  constructor(status, code, message, details = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export function apiUrl(path) {
  return new URL(path, API_ROOT).toString();
}

/** Call the API; resolves to the JSON body (null for 204), rejects with an ApiError carrying the API's message. */
export async function api(path, { method = "GET", body, signal } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(apiUrl(path), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
      signal,
    });
  } catch (error) {
    if (error && error.name === "AbortError") throw error;
    throw new ApiError(
      0,
      "network_error",
      "The server could not be reached. Check the connection, or reload the page to sign in again.",
    );
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (!response.ok) {
    const error = data && typeof data === "object" ? data.error : null;
    if (error && typeof error.message === "string") {
      throw new ApiError(response.status, error.code || "error", error.message, error.details ?? null);
    }
    if (response.status === 401) {
      throw new ApiError(401, "unauthenticated", "You are not signed in, or your session has expired. Reload the page to sign in.");
    }
    throw new ApiError(response.status, "http_error", `The server answered ${response.status} ${response.statusText}`.trim());
  }
  if (data === undefined) {
    // A sign-in page instead of JSON: App Service Authentication redirected an expired session.
    const hint = response.redirected ? " Your session may have expired: reload the page to sign in." : "";
    throw new ApiError(response.status, "bad_response", `The server sent an answer that is not JSON.${hint}`);
  }
  return data;
}

export const TERMINAL = new Set(["completed", "failed", "cancelled"]);
export const ACTIVE = new Set(["queued", "processing"]);
// A job's status as the page names it.
export const JOB_STATUS_LABELS = {
  queued: "Queued",
  processing: "Processing",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
};
