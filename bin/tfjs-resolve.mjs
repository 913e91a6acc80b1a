/**
 * Node ESM resolve hook: tfjs-core registers gradients only from its ESM sources
 * (dist/register_all_gradients.js), whose relative imports have no file extension. Node refuses
 * those, so inside @tensorflow packages an extensionless relative specifier is retried with ".js".
 */
export async function resolve(specifier, context, next) {
  const parent = context.parentURL ?? '';
  if (
    parent.includes('/node_modules/@tensorflow/') &&
    specifier.startsWith('.') &&
    !/\.[cm]?js$/.test(specifier)
  ) {
    try {
      return await next(`${specifier}.js`, context);
    } catch {
      // fall through: let Node report the original specifier
    }
  }
  return next(specifier, context);
}
