import { describe, expect, it } from '@jest/globals';
import type { Entity } from '@backstage/catalog-model';
import alphaPlugin from './alpha.js';
import { getProjectSlug, isElasticCiAvailable } from './annotations.js';
import { hasActiveJobs } from './hooks/useJobs.js';
import { elasticCiPlugin, EntityElasticCiContent } from './index.js';
import { jobsResponse, makeJob } from './__fixtures__/jobs.js';

const withAnnotations = (annotations?: Record<string, string>): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'widgets', annotations },
});

describe('plugin entries', () => {
  it('legacy: plugin id, the API factory and the routable tab', () => {
    expect(elasticCiPlugin.getId()).toBe('elastic-ci');
    expect([...elasticCiPlugin.getApis()].map((factory) => factory.api.id)).toEqual(['plugin.elastic-ci.service']);
    expect(typeof EntityElasticCiContent).toBe('function');
  });

  it('new frontend system: plugin id, API and entity content extensions', () => {
    expect(alphaPlugin.pluginId).toBe('elastic-ci');
    expect(alphaPlugin.getExtension('api:elastic-ci')).toBeTruthy();
    expect(alphaPlugin.getExtension('entity-content:elastic-ci')).toBeTruthy();
  });
});

describe('isElasticCiAvailable', () => {
  it('wants github.com/project-slug as owner/name', () => {
    expect(isElasticCiAvailable(withAnnotations({ 'github.com/project-slug': 'acme/widgets' }))).toBe(true);
    expect(getProjectSlug(withAnnotations({ 'github.com/project-slug': ' acme/widgets ' }))).toBe('acme/widgets');
    expect(isElasticCiAvailable(withAnnotations())).toBe(false);
    expect(isElasticCiAvailable(withAnnotations({ 'github.com/project-slug': '' }))).toBe(false);
    expect(isElasticCiAvailable(withAnnotations({ 'github.com/project-slug': 'acme' }))).toBe(false);
    expect(isElasticCiAvailable(withAnnotations({ 'github.com/project-slug': 'acme/widgets/extra' }))).toBe(false);
  });
});

describe('hasActiveJobs', () => {
  it('is true while a job is queued, pending or running', () => {
    for (const status of ['queued', 'pending', 'running'] as const) {
      expect(hasActiveJobs(jobsResponse([makeJob({ id: '1', status })]))).toBe(true);
    }
    for (const status of ['succeeded', 'failed', 'cancelled'] as const) {
      expect(hasActiveJobs(jobsResponse([makeJob({ id: '1', status })]))).toBe(false);
    }
    expect(hasActiveJobs(jobsResponse([]))).toBe(false);
  });
});
