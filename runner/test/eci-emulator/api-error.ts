/** Errors the emulated API answers with, in the published shape `{RequestId, Code, Message, HostId, Recommend}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function errorBody(err: ApiError, requestId: string, host: string): Record<string, string> {
  return {
    RequestId: requestId,
    Code: err.code,
    Message: err.message,
    HostId: host,
    Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(err.code)}&product=Eci`,
  };
}

export const missing = (name: string) =>
  new ApiError(
    400,
    'MissingParameter',
    `The input parameter "${name}" that is mandatory for processing this request is not supplied.`,
  );

export const invalid = (name: string, why: string) =>
  new ApiError(400, `InvalidParameter.${name}`, `The specified parameter "${name}" is not valid: ${why}`);

export const groupNotFound = (id: string) =>
  new ApiError(404, 'InvalidContainerGroup.NotFound', `The specified container group "${id}" does not exist.`);

/**
 * Flow control: code `Throttling.User`, "Request was denied due to user flow control.", HTTP 400 — the answer of
 * Alibaba Cloud OpenAPI when a caller exceeds an API's rate quota (ECS "API throttling": "the system reports the
 * Throttling error code", help.aliyun.com/zh/ecs/developer-reference/api-throttling; the `Throttling.User` code and
 * message as the SDKs surface them, e.g. developer.aliyun.com/ask/240995).
 */
export const throttled = () => new ApiError(400, 'Throttling.User', 'Request was denied due to user flow control.');

export const quotaExceeded = (limit: number) =>
  new ApiError(
    403,
    'QuotaExceed.ContainerGroupQuotaExceed',
    `The quota of container groups (${limit}) in this region is exhausted.`,
  );

/**
 * No stock for what was asked: CreateContainerGroup's `OperationDenied.NoStock` ("the ECI of the current region and
 * zone is sold out; use several zones and specs", Alibaba Cloud developer Q&A, developer.aliyun.com/ask/274162),
 * answered with HTTP 403 as ECS answers the same code.
 */
export const noStock = (what: string) =>
  new ApiError(403, 'OperationDenied.NoStock', `The requested resource (${what}) is sold out in the specified zone.`);

/**
 * The two published server errors of Alibaba Cloud OpenAPI (ECS API reference › Server errors,
 * www.alibabacloud.com/help/doc-detail/25964.htm; the same table for every RPC product): HTTP 500 `InternalError`
 * "The request processing has failed due to some unknown error, exception or failure." and HTTP 503
 * `ServiceUnavailable` "The request has failed due to a temporary failure of the server."
 */
export const serverError = (status: 500 | 503) =>
  status === 503
    ? new ApiError(503, 'ServiceUnavailable', 'The request has failed due to a temporary failure of the server.')
    : new ApiError(
        500,
        'InternalError',
        'The request processing has failed due to some unknown error, exception or failure.',
      );
