import type { Device, Organization, Template } from '../platform/model.js';
import type { ApplyDocument, DeviceSpec, OrgSpec, TemplateSpec } from './apply-spec.js';
import { orgPath } from './apply-spec.js';
import { sameValue, templatePatch } from './apply-template-diff.js';
import { ApiError, type ManagementApi } from './manage-api.js';

export type ChangeKind = 'org' | 'template' | 'device';
export type ChangeAction = 'created' | 'updated' | 'unchanged' | 'failed';

export interface Change {
  readonly kind: ChangeKind;
  /** Org path, template name, or `org path/device name`. */
  readonly name: string;
  readonly action: ChangeAction;
  readonly id?: number;
  /** Changed fields, or why it failed. */
  readonly detail?: string;
  /** A created device's token (only in JSON output). */
  readonly token?: string;
}

/** Fields of an org the document may set, compared one by one. */
const ORG_FIELDS = [
  'description',
  'type',
  'tz',
  'unitSystem',
  'phoneNumber',
  'address',
  'homeRegionUrl',
] as const;

/**
 * Brings the server in line with the document: creates what is missing, updates what differs,
 * leaves the rest. With `dryRun` nothing is written; objects that would be created get negative
 * placeholder ids so the rest of the plan can refer to them.
 */
export class Reconciler {
  readonly changes: Change[] = [];
  private orgs: Organization[] = [];
  private templates: Template[] = [];
  private devices: Device[] = [];
  private readonly pathIds = new Map<string, number>();
  private placeholder = 0;

  constructor(
    private readonly api: ManagementApi,
    private readonly dryRun: boolean,
  ) {}

  async apply(doc: ApplyDocument): Promise<Change[]> {
    this.orgs = await this.api.orgs.list();
    this.pathIds.set('', this.api.orgId);
    for (const spec of doc.organizations) await this.org(spec, this.api.orgId, []);
    if (doc.templates.length > 0 || doc.devices.length > 0) this.templates = await this.api.templates.list();
    for (const spec of doc.templates)
      await this.guard('template', spec.input.name, () => this.template(spec));
    if (doc.devices.length > 0) this.devices = await this.api.devices.list({ includeSubOrgDevices: true });
    for (const spec of doc.devices) {
      await this.guard('device', [...orgPath(spec.org), spec.name].join('/'), () => this.device(spec));
    }
    return this.changes;
  }

  /** A refused create or update fails that one item (with the server's message); the rest go on. */
  private async guard(kind: ChangeKind, name: string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (err) {
      if (!(err instanceof ApiError) || err.status === 0 || err.status === 401) throw err;
      this.changes.push({ kind, name, action: 'failed', detail: err.message });
    }
  }

  private nextPlaceholder(): number {
    this.placeholder -= 1;
    return this.placeholder;
  }

  /** One org and, once it exists, its children; a refused org skips its subtree. */
  private async org(spec: OrgSpec, parentId: number, parentPath: readonly string[]): Promise<void> {
    const path = [...parentPath, spec.name];
    const name = path.join('/');
    let id: number | undefined;
    await this.guard('org', name, async () => {
      id = await this.orgItself(spec, parentId, name);
    });
    if (id === undefined) return;
    this.pathIds.set(name, id);
    for (const child of spec.organizations) await this.org(child, id, path);
  }

  private async orgItself(spec: OrgSpec, parentId: number, name: string): Promise<number> {
    const existing = this.orgs.find((o) => o.parentOrganizationId === parentId && o.name === spec.name);
    let id: number;
    if (existing === undefined) {
      id = this.dryRun
        ? this.nextPlaceholder()
        : (await this.api.orgs.create({ name: spec.name, ...spec.fields, parentOrganizationId: parentId }))
            .id;
      this.changes.push({ kind: 'org', name, action: 'created', id });
    } else {
      id = existing.id;
      const patch: Record<string, unknown> = {};
      for (const field of ORG_FIELDS) {
        const wanted = spec.fields[field];
        if (wanted !== undefined && !sameValue(wanted, existing[field])) patch[field] = wanted;
      }
      const fields = Object.keys(patch);
      if (fields.length > 0 && !this.dryRun) await this.api.orgs.update(id, patch);
      this.changes.push({ kind: 'org', name, id, ...this.outcome(fields) });
    }
    return id;
  }

  private outcome(fields: readonly string[]): { action: ChangeAction; detail?: string } {
    return fields.length === 0 ? { action: 'unchanged' } : { action: 'updated', detail: fields.join(', ') };
  }

  /** The org id of a path, or a failure message when the path names no org. */
  private orgIdOf(path: string | undefined): number | string {
    const parts = orgPath(path);
    const key = parts.join('/');
    const known = this.pathIds.get(key);
    if (known !== undefined) return known;
    let id = this.api.orgId;
    for (const part of parts) {
      const child = this.orgs.find((o) => o.parentOrganizationId === id && o.name === part);
      if (child === undefined) return `organization "${key}" not found below the credentials' organization`;
      id = child.id;
    }
    this.pathIds.set(key, id);
    return id;
  }

  private async template(spec: TemplateSpec): Promise<void> {
    const { input } = spec;
    const orgId = this.orgIdOf(spec.org);
    const name = input.name;
    if (typeof orgId === 'string')
      return void this.changes.push({ kind: 'template', name, action: 'failed', detail: orgId });
    const existing =
      input.templateId !== undefined
        ? this.templates.find((t) => t.templateId === input.templateId)
        : this.templates.find((t) => t.orgId === orgId && t.name === name);
    if (existing === undefined) {
      const created = this.dryRun
        ? ({
            ...input,
            id: this.nextPlaceholder(),
            templateId: input.templateId ?? '(new)',
            orgId,
          } as unknown as Template)
        : await this.api.templates.create({ ...input, orgId });
      this.templates.push(created);
      const detail = created.id > 0 ? { detail: created.templateId } : {};
      return void this.changes.push({ kind: 'template', name, action: 'created', id: created.id, ...detail });
    }
    if (existing.orgId !== orgId) {
      const detail = `${existing.templateId} belongs to organization #${existing.orgId}; templates cannot be moved`;
      return void this.changes.push({ kind: 'template', name, action: 'failed', id: existing.id, detail });
    }
    const patch = templatePatch(existing, input);
    const fields = Object.keys(patch);
    if (fields.length > 0 && !this.dryRun) {
      const updated = await this.api.templates.update(existing.id, patch);
      this.templates = this.templates.map((t) => (t.id === updated.id ? updated : t));
    }
    this.changes.push({ kind: 'template', name, id: existing.id, ...this.outcome(fields) });
  }

  /** A template visible from `orgId` by TMPL id or name: the org's own first, then its ancestors'. */
  private templateFor(ref: string, orgId: number): Template | string {
    const byId = this.templates.find((t) => t.templateId === ref);
    if (byId !== undefined) return byId;
    const named = this.templates.filter((t) => t.name === ref);
    if (named.length === 0) return `template "${ref}" not found`;
    const own = named.filter((t) => t.orgId === orgId);
    if (own.length === 1 && own[0] !== undefined) return own[0];
    if (named.length === 1 && named[0] !== undefined) return named[0];
    return `template name "${ref}" is ambiguous: use its TMPL… id`;
  }

  private async device(spec: DeviceSpec): Promise<void> {
    const orgId = this.orgIdOf(spec.org);
    const name = [...orgPath(spec.org), spec.name].join('/');
    const failed = (detail: string): void =>
      void this.changes.push({ kind: 'device', name, action: 'failed', detail });
    if (typeof orgId === 'string') return failed(orgId);
    const template = this.templateFor(spec.template, orgId);
    if (typeof template === 'string') return failed(template);
    const existing = this.devices.find((d) => d.orgId === orgId && d.name === spec.name);
    if (existing === undefined) {
      if (this.dryRun)
        return void this.changes.push({
          kind: 'device',
          name,
          action: 'created',
          id: this.nextPlaceholder(),
        });
      const { device, token } = await this.api.devices.create({
        templateId: template.id,
        name: spec.name,
        orgId,
      });
      this.devices.push(device);
      return void this.changes.push({ kind: 'device', name, action: 'created', id: device.id, token });
    }
    if (existing.templateId !== template.id) {
      return failed(`exists with template #${existing.templateId}; a device's template cannot be changed`);
    }
    this.changes.push({ kind: 'device', name, action: 'unchanged', id: existing.id });
  }
}
