import type {
  BranchRecord,
  EndpointRecord,
  OperationRecord,
  ProjectRecord,
  SnapshotRecord,
} from '../engine/records';
import type { World } from '../engine/world';

// Render records in the shapes of the OpenAPI spec shipped in @neondatabase/api-client.

const PROXY_HOST = 'localhost';

export function renderProject(project: ProjectRecord) {
  return {
    id: project.id,
    platform_id: 'aws',
    region_id: project.region_id,
    name: project.name,
    provisioner: 'k8s-neonvm',
    pg_version: project.pg_version,
    proxy_host: PROXY_HOST,
    branch_logical_size_limit: 0,
    branch_logical_size_limit_bytes: 0,
    store_passwords: true,
    cpu_used_sec: 0,
    active_time_seconds: 0,
    compute_time_seconds: 0,
    written_data_bytes: 0,
    data_transfer_bytes: 0,
    data_storage_bytes_hour: 0,
    creation_source: 'console',
    history_retention_seconds: 21_600,
    created_at: project.created_at,
    updated_at: project.updated_at,
    consumption_period_start: project.created_at,
    consumption_period_end: '2100-01-01T00:00:00Z',
    owner_id: 'emulator',
    settings: { allowed_ips: { ips: [], protected_branches_only: false } },
  };
}

export function renderProjectListItem(project: ProjectRecord) {
  const { active_time_seconds, compute_time_seconds, written_data_bytes, data_transfer_bytes, ...rest } =
    renderProject(project);
  const { data_storage_bytes_hour, consumption_period_start, consumption_period_end, ...item } = rest;
  return { ...item, active_time: active_time_seconds };
}

export function renderBranch(branch: BranchRecord) {
  const out: Record<string, unknown> = {
    id: branch.id,
    project_id: branch.project_id,
    name: branch.name,
    current_state: branch.current_state,
    state_changed_at: branch.state_changed_at,
    creation_source: branch.creation_source,
    primary: branch.default,
    default: branch.default,
    protected: branch.protected,
    cpu_used_sec: 0,
    compute_time_seconds: 0,
    active_time_seconds: 0,
    written_data_bytes: 0,
    data_transfer_bytes: 0,
    created_at: branch.created_at,
    updated_at: branch.updated_at,
  };
  for (const key of [
    'parent_id',
    'parent_lsn',
    'parent_timestamp',
    'pending_state',
    'expires_at',
    'init_source',
    'restore_status',
    'restored_from',
    'restored_as',
  ] as const) {
    if (branch[key] !== undefined) out[key] = branch[key];
  }
  if (branch.restore_status !== undefined) {
    // Neon refuses point-in-time restore on branches made by a snapshot restore.
    out.restricted_actions = [
      { name: 'restore', reason: 'restore from snapshot on target branch is still ongoing' },
    ];
  }
  return out;
}

export function renderAnnotation(branch: BranchRecord) {
  return {
    object: { type: 'console/branch', id: branch.id },
    value: branch.annotation ?? {},
    created_at: branch.created_at,
    updated_at: branch.updated_at,
  };
}

export function renderEndpoint(world: World, endpoint: EndpointRecord) {
  const out: Record<string, unknown> = {
    host: endpoint.host ?? world.options.host,
    id: endpoint.id,
    project_id: endpoint.project_id,
    branch_id: endpoint.branch_id,
    autoscaling_limit_min_cu: 0.25,
    autoscaling_limit_max_cu: 0.25,
    region_id: world.project(endpoint.project_id).region_id,
    type: endpoint.type,
    current_state: endpoint.current_state,
    settings: { pg_settings: {} },
    pooler_enabled: false,
    pooler_mode: 'transaction',
    disabled: false,
    passwordless_access: true,
    creation_source: 'console',
    created_at: endpoint.created_at,
    updated_at: endpoint.updated_at,
    proxy_host: PROXY_HOST,
    suspend_timeout_seconds: 0,
    provisioner: 'k8s-neonvm',
  };
  if (endpoint.pending_state) out.pending_state = endpoint.pending_state;
  return out;
}

export function renderSnapshot(snapshot: SnapshotRecord) {
  const out: Record<string, unknown> = {
    id: snapshot.id,
    name: snapshot.name,
    source_branch_id: snapshot.source_branch_id,
    created_at: snapshot.created_at,
    manual: snapshot.manual,
  };
  if (snapshot.lsn) out.lsn = snapshot.lsn;
  if (snapshot.timestamp) out.timestamp = snapshot.timestamp;
  if (snapshot.expires_at) out.expires_at = snapshot.expires_at;
  if (snapshot.full_size !== undefined) out.full_size = snapshot.full_size;
  return out;
}

export function renderOperation(operation: OperationRecord) {
  return { ...operation };
}

/**
 * A stock `pg` client can use this: loopback, no TLS (so no `sslmode=require`). An endpoint on
 * its own address listens on 5432, so the URI has no port, like Neon's.
 */
export function connectionUri(
  world: World,
  project: ProjectRecord,
  endpoint: EndpointRecord,
  pooled = false,
): string {
  return `postgresql://${project.role_name}:${project.role_password}@${hostAndPort(world, endpoint, pooled)}/${project.database_name}`;
}

function address(world: World, endpoint: EndpointRecord, pooled: boolean) {
  const proxy = (pooled ? world.poolers : world.proxies).get(endpoint.id);
  const host = proxy?.host ?? (pooled ? endpoint.pooler_host : endpoint.host) ?? world.options.host;
  const port = proxy?.port ?? (pooled ? endpoint.pooler_port : endpoint.port) ?? endpoint.port;
  return { host, port };
}

function hostAndPort(world: World, endpoint: EndpointRecord, pooled: boolean): string {
  const { host, port } = address(world, endpoint, pooled);
  return port === 5432 ? host : `${host}:${port}`;
}

export function renderConnection(world: World, project: ProjectRecord, endpoint: EndpointRecord) {
  return {
    connection_uri: connectionUri(world, project, endpoint),
    connection_parameters: {
      database: project.database_name,
      password: project.role_password,
      role: project.role_name,
      host: address(world, endpoint, false).host,
      pooler_host: address(world, endpoint, true).host,
    },
  };
}

export function renderRole(project: ProjectRecord, branchId: string) {
  return {
    branch_id: branchId,
    name: project.role_name,
    password: project.role_password,
    protected: false,
    created_at: project.created_at,
    updated_at: project.updated_at,
  };
}

export function renderDatabase(project: ProjectRecord, branchId: string) {
  return {
    id: 1,
    branch_id: branchId,
    name: project.database_name,
    owner_name: project.role_name,
    created_at: project.created_at,
    updated_at: project.updated_at,
  };
}
