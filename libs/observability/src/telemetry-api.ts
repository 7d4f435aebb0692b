import type { SpanExporter } from '@opentelemetry/sdk-trace-base';

/** Google Cloud's OTLP endpoint (the Telemetry API): spans sent here are stored in Cloud Trace as they are. */
export const TELEMETRY_API = 'https://telemetry.googleapis.com';

export interface TelemetryApiOptions {
  /** The project the spans belong to; by default the one the credentials name (on Cloud Run, the service's). */
  projectId?: string | undefined;
  /** Another base URL than the Telemetry API's (tests: a local receiver speaking the same protocol). */
  endpoint?: string;
}

/**
 * Exports spans over OTLP/HTTP to the Telemetry API, authenticated as the service account (Application
 * Default Credentials: the metadata server on Cloud Run, `GCE_METADATA_HOST` honoured), which needs
 * `roles/telemetry.tracesWriter`. Google's own Cloud Trace exporter package was archived in October 2026;
 * Google's migration guide points here. google-auth-library is loaded only with this exporter.
 */
export async function telemetryApiTraceExporter(options: TelemetryApiOptions = {}): Promise<SpanExporter> {
  const [{ OTLPTraceExporter }, { GoogleAuth }] = await Promise.all([import('@opentelemetry/exporter-trace-otlp-http'), import('google-auth-library')]);
  const auth = new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'], ...(options.projectId ? { projectId: options.projectId } : {}) });
  return new OTLPTraceExporter({
    url: `${options.endpoint ?? TELEMETRY_API}/v1/traces`,
    // Asked before every export: the library refreshes the access token shortly before it expires.
    headers: async () => {
      const headers: Record<string, string> = Object.fromEntries(await auth.getRequestHeaders());
      // The project billed and checked for the API, as Google's OTLP samples send it.
      headers['x-goog-user-project'] = options.projectId ?? (await auth.getProjectId());
      return headers;
    },
  });
}
