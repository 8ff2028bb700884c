import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { i18n, initialLocale, setLocale } from './i18n'
import { router } from './router'
import './styles/main.css'

const app = createApp(App)
app.use(createPinia())
app.use(i18n)
app.use(router)
// The first screen already in the reader's language (its catalogue is one small chunk);
// the account's saved language replaces it once `me` answers.
void setLocale(initialLocale())
  .catch((err: unknown) => console.warn('language not loaded', err))
  .finally(() => app.mount('#app'))
