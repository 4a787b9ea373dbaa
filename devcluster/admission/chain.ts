// Admission as kube-apiserver runs it: the built-in plugins and the webhooks in a fixed order, each
// mutating plugin seeing the previous one's output, then every validating one. One seam for ObjectApi.
import type { Admission } from './admission.ts';

export function admissionChain(...plugins: Admission[]): Admission {
  return {
    async mutate(attrs, warnings) {
      let object = attrs.object;
      for (const plugin of plugins) object = await plugin.mutate({ ...attrs, object }, warnings);
      return object;
    },
    async validate(attrs, warnings) {
      for (const plugin of plugins) await plugin.validate(attrs, warnings);
    },
  };
}
