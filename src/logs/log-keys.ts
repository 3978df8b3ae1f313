/** The keys Roster writes. `ManagementApi.*` rows are Roster's audit trail (Logto writes none). */
export const LOG_KEYS = [
  'ManagementApi.User.Create',
  'ManagementApi.User.Update',
  'ManagementApi.User.CustomData.Update',
  'ManagementApi.User.Profile.Update',
  'ManagementApi.User.Password.Update',
  'ManagementApi.User.SuspensionStatus.Update',
  'ManagementApi.User.Delete',
  'ManagementApi.User.Identity.Update',
  'ManagementApi.User.Identity.Delete',
  'ManagementApi.User.Password.Verify',
  'ManagementApi.User.Role.Create',
  'ManagementApi.User.Role.Delete',
  'ManagementApi.Role.Create',
  'ManagementApi.Role.Update',
  'ManagementApi.Role.Delete',
  'ManagementApi.Role.Scope.Create',
  'ManagementApi.Role.Scope.Delete',
  'ManagementApi.Resource.Create',
  'ManagementApi.Resource.Update',
  'ManagementApi.Resource.Delete',
  'ManagementApi.Resource.Scope.Create',
  'ManagementApi.Resource.Scope.Update',
  'ManagementApi.Resource.Scope.Delete',
  'ExchangeTokenBy.ClientCredentials',
] as const;
export type LogKey = (typeof LOG_KEYS)[number];

/**
 * `GET /api/logs` shows only keys of these families (Logto's list plus Roster's `ManagementApi`);
 * other rows exist only for `GET /api/logs/:id`.
 */
export const LISTED_KEY_FAMILIES = [
  'ManagementApi',
  'ExchangeTokenBy',
  'RevokeToken',
  'RevokeGrants',
  'Interaction',
  'JwtCustomizer',
  'SamlApplication',
  'Action',
  'Unknown',
];
