export declare const ROOT: string;
export declare const CLI_DIR: string;
export declare const MANIFEST: string;
export declare function freshBundle(options?: {
  root?: string;
  why?: (reason: string) => void;
}): string | null;
