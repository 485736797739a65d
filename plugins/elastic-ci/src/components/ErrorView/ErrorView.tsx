import { ErrorPanel, ResponseErrorPanel } from '@backstage/core-components';
import type { ResponseError } from '@backstage/errors';

function isResponseError(error: Error): error is ResponseError {
  // By shape, not instanceof: an app may load a second copy of @backstage/errors.
  return error.name === 'ResponseError' && typeof (error as Partial<ResponseError>).body === 'object';
}

/** ResponseErrorPanel for an HTTP failure (status, request, server message), ErrorPanel for anything else. */
export function ErrorView(props: { error: Error; title?: string }) {
  return isResponseError(props.error) ? (
    <ResponseErrorPanel error={props.error} title={props.title} />
  ) : (
    <ErrorPanel error={props.error} title={props.title} />
  );
}
