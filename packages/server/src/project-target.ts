/** A tenant's project as `resolveProject` described it: what every service call acts on. */
export interface ProjectTarget {
  projectId: string;
  /** The live branch's name; its id changes with every restore, so it is resolved at each call. */
  branchName: string;
  databaseName: string;
  roleName: string;
  /** Who asks (from `resolveProject`), kept in the restore audit trail. */
  actor?: string | null;
}
