import { InfoCard, Progress } from '@backstage/core-components';
import type { ReactNode } from 'react';
import type { AggregatesResponse } from '@eci-virtual/contract';
import { ErrorView } from '../ErrorView/index.js';

/** Props of a card over the controller's `/v1/aggregates` answer. */
export interface AggregatesCardProps {
  testId: string;
  title: string;
  subheader: string;
  /** The title of the error shown when the answer could not be loaded. */
  errorTitle: string;
  aggregates?: AggregatesResponse;
  error?: Error;
  /** The card's body once the answer is there. */
  render: (aggregates: AggregatesResponse) => ReactNode;
}

/**
 * A card whose body is drawn from `/v1/aggregates`: the error when loading failed and nothing is shown yet, a
 * progress bar while loading, else the body. A stale answer stays on screen when a refresh fails.
 */
export function AggregatesCard({
  testId,
  title,
  subheader,
  errorTitle,
  aggregates,
  error,
  render,
}: AggregatesCardProps) {
  let content: ReactNode;
  if (!aggregates && error) content = <ErrorView error={error} title={errorTitle} />;
  else if (!aggregates) content = <Progress />;
  else content = render(aggregates);
  return (
    <div data-testid={testId}>
      <InfoCard title={title} subheader={subheader}>
        {content}
      </InfoCard>
    </div>
  );
}
