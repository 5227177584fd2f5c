import { ForbiddenError, ValidationError } from '../errors.js';
import { type Organization, OrgType } from '../model.js';
import type { Caller, OrgInput } from '../services.js';
import type { OrgTree } from './org-tree.js';
import { checkDepth, checkTypeUnderParent, orgNotFound, validateOrgFields } from './org-validation.js';

export type OrgPatch = Partial<OrgInput> & {
  readonly isActive?: boolean;
  readonly parentOrganizationId?: number;
};

export interface UpdateContext {
  readonly tree: OrgTree;
  readonly caller: Caller;
  readonly current: Organization;
  readonly patch: OrgPatch;
  readonly rootId: number | undefined;
  readonly depthLimit: number;
}

export interface UpdatePlan {
  /** The org as it will be stored (lastModifiedTs still the old one). */
  readonly org: Organization;
  /** Set when the org moves under another parent. */
  readonly newParentId?: number;
}

/** Checks an org update against the rules of spec §5.1 and returns what to store. */
export function planUpdate(ctx: UpdateContext): UpdatePlan {
  const { tree, caller, current, patch } = ctx;
  const fields = validateOrgFields(patch);
  const isRoot = current.id === ctx.rootId;
  if (patch.isActive !== undefined && typeof patch.isActive !== 'boolean') {
    throw new ValidationError('Organization isActive must be true or false.');
  }
  if (patch.isActive === false && (isRoot || current.id === caller.orgId)) {
    throw new ForbiddenError(
      'The root organization and the caller’s own organization cannot be deactivated.',
    );
  }
  const moving =
    patch.parentOrganizationId !== undefined && patch.parentOrganizationId !== current.parentOrganizationId;
  const newParentId = moving ? patch.parentOrganizationId : undefined;
  if (newParentId !== undefined) checkMove(ctx, isRoot, newParentId);
  const type = fields.type ?? current.type;
  const parentId = newParentId ?? current.parentOrganizationId;
  if (isRoot || parentId === null) {
    if (type !== OrgType.Root) throw new ValidationError('The root organization has type ROOT.');
  } else {
    checkTypeUnderParent(type, tree.typeOf(parentId));
    // The child of a PERSONAL org is PERSONAL: an org turning PERSONAL must have only PERSONAL children.
    if (
      type === OrgType.Personal &&
      tree.children(current.id).some((c) => tree.typeOf(c) !== OrgType.Personal)
    ) {
      throw new ValidationError(
        'An organization with non-PERSONAL sub-organizations cannot become PERSONAL.',
      );
    }
  }
  const org: Organization = {
    ...current,
    ...fields,
    type,
    parentOrganizationId: parentId,
    isActive: patch.isActive ?? current.isActive,
  };
  return newParentId === undefined ? { org } : { org, newParentId };
}

function checkMove(ctx: UpdateContext, isRoot: boolean, newParentId: number): void {
  const { tree, caller, current } = ctx;
  if (isRoot) throw new ForbiddenError('The root organization cannot be moved.');
  if (current.id === caller.orgId) throw new ForbiddenError('An organization cannot move itself.');
  if (!Number.isSafeInteger(newParentId) || !tree.isInScope(caller.orgId, newParentId)) {
    throw orgNotFound(newParentId);
  }
  if (tree.isInScope(current.id, newParentId)) {
    throw new ValidationError(
      'An organization cannot be moved under itself or one of its sub-organizations.',
    );
  }
  checkDepth(tree.depth(newParentId) + tree.height(current.id), ctx.depthLimit);
}
