import { describe, expect, it, jest } from '@jest/globals';
import type { Entity } from '@backstage/catalog-model';
import { coreExtensionData } from '@backstage/frontend-plugin-api';
import { createExtensionTester, renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { screen } from '@testing-library/react';
import { aggregatesResponse, autopilotResponse, jobsResponse, settingsResponse } from './__fixtures__/jobs.js';
import { elasticCiEntityContent } from './alpha.js';
import { elasticCiApiRef, type ElasticCiApi } from './api/ElasticCiApi.js';

const entity = (annotations: Record<string, string>): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'widgets', annotations },
});

describe('alpha: entity-content:elastic-ci', () => {
  const api: ElasticCiApi = {
    getJobs: jest.fn(async () => jobsResponse()),
    getSettings: jest.fn(async () => settingsResponse),
    getAggregates: jest.fn(async () => aggregatesResponse()),
    getAutopilot: jest.fn(async () => autopilotResponse),
  };

  it('declares its path, title and the project-slug filter', () => {
    const tester = createExtensionTester(elasticCiEntityContent);
    expect(tester.get(coreExtensionData.routePath)).toBe('/elastic-ci');
    expect(tester.get(EntityContentBlueprint.dataRefs.title)).toBe('Elastic CI');
    const filter = tester.get(EntityContentBlueprint.dataRefs.filterFunction);
    expect(filter?.(entity({ 'github.com/project-slug': 'acme/widgets' }))).toBe(true);
    expect(filter?.(entity({}))).toBe(false);
  });

  it('renders the tab through the new frontend system', async () => {
    const tester = createExtensionTester(elasticCiEntityContent);
    renderInTestApp(
      <EntityProvider entity={entity({ 'github.com/project-slug': 'acme/widgets' })}>
        {tester.reactElement()}
      </EntityProvider>,
      { apis: [[elasticCiApiRef, api]] },
    );
    expect(await screen.findByTestId('job-row-101')).toBeTruthy();
    expect(api.getJobs).toHaveBeenCalledWith('acme/widgets', expect.anything());
  });
});
