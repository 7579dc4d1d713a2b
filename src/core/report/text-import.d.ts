// `import text from '.../x.njk'`: a template's text (esbuild's text loader; scripts/text-loader.mjs under tsx).
declare module '*.njk' {
  const text: string;
  export default text;
}
