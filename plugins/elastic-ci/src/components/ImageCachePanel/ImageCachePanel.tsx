import Chip from '@material-ui/core/Chip';
import Grid from '@material-ui/core/Grid';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { InfoCard, Progress } from '@backstage/core-components';
import type { ReactNode } from 'react';
import type { ImageCacheEntry, SettingsResponse } from '@eci-virtual/contract';
import { formatBytes, formatTime } from '../../format.js';
import { ErrorView } from '../ErrorView/index.js';

const STATE_COLOR: Record<ImageCacheEntry['state'], 'primary' | 'secondary' | 'default'> = {
  ready: 'primary',
  creating: 'default',
  pending: 'default',
  failed: 'secondary',
  unknown: 'default',
};

function Fact(props: { label: string; testId?: string; children: ReactNode }) {
  return (
    <div>
      <Typography variant="overline" color="textSecondary" component="div">
        {props.label}
      </Typography>
      <Typography variant="body2" data-testid={props.testId}>
        {props.children}
      </Typography>
    </div>
  );
}

/** The repository's effective settings: where jobs are placed and what the image cache holds. */
export function ImageCachePanel(props: { loading: boolean; settings?: SettingsResponse; error?: Error }) {
  const { settings, error } = props;
  let content: ReactNode;
  if (!settings && error) {
    content = <ErrorView error={error} title="Could not load the settings" />;
  } else if (!settings) {
    content = <Progress />;
  } else {
    const { placement, imageCache } = settings;
    content = (
      <Grid container spacing={2}>
        <Grid item xs={12} md={4}>
          <Fact label="Placement" testId="settings-placement">
            {placement.nodeType} nodes, {placement.cpu} CPU / {placement.memory}
          </Fact>
          {placement.eciSpecs?.length ? <Fact label="ECI specs">{placement.eciSpecs.join(', ')}</Fact> : null}
          {placement.nodeSelector && Object.keys(placement.nodeSelector).length > 0 ? (
            <Fact label="Node selector">
              {Object.entries(placement.nodeSelector)
                .map(([key, value]) => `${key}=${value}`)
                .join(', ')}
            </Fact>
          ) : null}
          <Fact label="Image pull policy" testId="settings-pull-policy">
            {imageCache.pullPolicy}
          </Fact>
          <Fact label="Kaniko layer cache" testId="settings-kaniko">
            {imageCache.kaniko.enabled
              ? `${imageCache.kaniko.cacheRepo ?? 'no cache repository'}${
                  imageCache.kaniko.cacheTtl ? `, TTL ${imageCache.kaniko.cacheTtl}` : ''
                }`
              : 'disabled'}
          </Fact>
          <Fact label="Source">{settings.source}</Fact>
        </Grid>
        <Grid item xs={12} md={8}>
          {imageCache.images.length === 0 ? (
            <Typography color="textSecondary">No images are cached for this repository.</Typography>
          ) : (
            <Table size="small" aria-label="Cached images" data-testid="image-cache-table">
              <TableHead>
                <TableRow>
                  <TableCell>Image</TableCell>
                  <TableCell>State</TableCell>
                  <TableCell>Cache id</TableCell>
                  <TableCell align="right">Size</TableCell>
                  <TableCell>Updated</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {imageCache.images.map((entry) => (
                  <TableRow key={entry.image} data-testid="image-cache-entry">
                    <TableCell style={{ fontFamily: 'monospace', wordBreak: 'break-all' }}>{entry.image}</TableCell>
                    <TableCell>
                      <Chip size="small" label={entry.state} color={STATE_COLOR[entry.state] ?? 'default'} />
                    </TableCell>
                    <TableCell>{entry.id ?? '—'}</TableCell>
                    <TableCell align="right">{formatBytes(entry.sizeBytes)}</TableCell>
                    <TableCell>{formatTime(entry.updatedAt)}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
        </Grid>
      </Grid>
    );
  }
  return (
    <div data-testid="image-cache-panel">
      <InfoCard title="Image cache and placement" subheader="Effective settings for this repository">
        {content}
      </InfoCard>
    </div>
  );
}
