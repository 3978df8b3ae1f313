/** A social identity as Logto returns it: the user's account at one provider (`target`). */
export class IdentityDto {
  /** The user's id at the social provider. */
  userId!: string;
  /** Provider user info, stored as given. */
  details?: Record<string, unknown>;
}
