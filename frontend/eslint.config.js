import js from '@eslint/js'
import pluginVue from 'eslint-plugin-vue'
import tseslint from 'typescript-eslint'
import globals from 'globals'
import vueI18n from '@intlify/eslint-plugin-vue-i18n'

/**
 * Every word a person reads in a template goes through the catalogues (issue 17):
 * text, and the attributes that are read out or shown. Punctuation, symbols, digits
 * and emoji are not words; "Parley" is a name.
 */
export const noRawText = [
  'error',
  {
    attributes: { '/.+/': ['title', 'aria-label', 'placeholder', 'alt', 'heading', 'label'] },
    ignorePattern: '^[\\p{P}\\p{S}\\p{N}\\p{Extended_Pictographic}\\s\\u200d\\ufe0f]*$',
    ignoreText: ['Parley'],
  },
]

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    files: ['**/*.vue'],
    plugins: { '@intlify/vue-i18n': vueI18n },
    rules: { '@intlify/vue-i18n/no-raw-text': noRawText },
  },
  {
    languageOptions: {
      ecmaVersion: 'latest',
      sourceType: 'module',
      globals: { ...globals.browser, ...globals.node },
    },
    rules: {
      // User content is rendered as text only.
      'vue/no-v-html': 'error',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/html-indent': 'off',
      'vue/html-closing-bracket-newline': 'off',
      'vue/multi-word-component-names': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
)
