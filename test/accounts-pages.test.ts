/**
 * `xaccount accounts` over more than one page of each Organizations listing it makes. moto 5.2.5 pages
 * ListAccountsForParent and ListOrganizationalUnitsForParent by 20 and ListAccounts by 100 when no
 * MaxResults is sent (moto/organizations/utils.py PAGINATION_MODEL), as xaccount sends none; so the
 * organization here has an OU with 25 accounts directly under it and 21 child OUs (one account each), and
 * 102 accounts in all. A listing that read only the first page of any of them would miss accounts.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  CreateAccountCommand,
  CreateOrganizationCommand,
  CreateOrganizationalUnitCommand,
  ListRootsCommand,
  MoveAccountCommand,
  OrganizationsClient,
} from "@aws-sdk/client-organizations";
import { ADMIN, MOTO_DEFAULT_ACCOUNT, startMoto, type Identity, type Moto } from "./helpers/moto.js";
import { xaccount } from "./helpers/cli.js";

let moto: Moto;
let admin: Identity;
let big: string;
/** Under `big`: its own 25 accounts and one in each of its 21 child OUs. */
const underBig: string[] = [];
const everyone: string[] = [MOTO_DEFAULT_ACCOUNT];

before(async () => {
  moto = await startMoto();
  [admin] = (await moto.bootstrap([{ account: MOTO_DEFAULT_ACCOUNT, name: "admin", actions: ADMIN }])) as [Identity];
  const org = new OrganizationsClient({ region: "us-east-1", endpoint: moto.endpoint, credentials: admin.credentials });
  await org.send(new CreateOrganizationCommand({ FeatureSet: "ALL" }));
  const root = (await org.send(new ListRootsCommand({}))).Roots![0]!.Id!;
  const ou = async (name: string, parent: string): Promise<string> =>
    (await org.send(new CreateOrganizationalUnitCommand({ Name: name, ParentId: parent }))).OrganizationalUnit!.Id!;
  const account = async (name: string, parent: string): Promise<string> => {
    const id = (await org.send(new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }))).CreateAccountStatus!.AccountId!;
    if (parent !== root) await org.send(new MoveAccountCommand({ AccountId: id, SourceParentId: root, DestinationParentId: parent }));
    everyone.push(id);
    return id;
  };
  big = await ou("big", root);
  for (let i = 0; i < 25; i++) underBig.push(await account(`big-${i}`, big));
  for (let i = 0; i < 21; i++) underBig.push(await account(`child-${i}`, await ou(`child-${i}`, big)));
  for (let i = 0; i < 55; i++) await account(`root-${i}`, root);
  org.destroy();
});

after(async () => {
  await moto?.stop();
});

async function listed(args: string[]): Promise<string[]> {
  const r = await xaccount(["accounts", ...args, "--json"], admin.env);
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  return (JSON.parse(r.stdout) as Array<{ id: string }>).map((a) => a.id).sort();
}

test("--ou reads every page of the OU's accounts (25 > 20) and of its child OUs (21 > 20)", async () => {
  assert.equal(underBig.length, 46);
  assert.deepEqual(await listed(["--ou", big]), [...underBig].sort());
});

test("--org reads every page of the organization's accounts (102 > 100)", async () => {
  assert.equal(everyone.length, 102);
  assert.deepEqual(await listed(["--org"]), [...everyone].sort());
});
