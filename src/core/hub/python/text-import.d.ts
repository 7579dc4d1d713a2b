// `import text from './x.py'`: a .py file's text (esbuild's text loader; scripts/text-loader.mjs under tsx).
declare module '*.py' {
  const text: string;
  export default text;
}
