// Ships only the KERN-UX rules that the portal's and every theme's templates use (`make assets`).
// Classes built in a template from a value (kern-alert--{{ kind }}) cannot be seen, so their
// families are kept whole. CSS variables, @font-face and keyframes stay (PurgeCSS default).
module.exports = {
  content: [
    "../*/templates/**/*.html",
    "../../portal/**/templates/**/*.html",
    "../../portal/**/*.py",
    "../*/static/js/**/*.js",
  ],
  css: ["node_modules/@kern-ux/native/dist/kern.min.css"],
  safelist: {
    standard: [/^kern-(alert|icon)--(info|success|warning|danger)$/, /^kern-btn--(primary|secondary)$/],
  },
  output: "build/kern/kern.min.css",
};
