/** Until tenants arrive with authentication, every request and every device belongs to this one. */
export const defaultTenant = 'default';
