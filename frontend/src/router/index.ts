import { createRouter, createWebHistory, type RouteLocationNormalized } from 'vue-router'
import { setUnauthorizedHandler } from '@/api'
import { useAuthStore } from '@/stores/auth'

declare module 'vue-router' {
  interface RouteMeta {
    public?: boolean
    title?: string
  }
}

// History mode at the site root: Django serves index.html for every non-API path.
export const router = createRouter({
  history: createWebHistory('/'),
  routes: [
    { path: '/', name: 'lobby', component: () => import('@/views/LobbyView.vue'), meta: { title: 'Lobby' } },
    {
      path: '/rooms/:id(\\d+)',
      name: 'room',
      component: () => import('@/views/RoomView.vue'),
      props: (route) => ({ id: Number(route.params.id) }),
    },
    { path: '/search', name: 'search', component: () => import('@/views/SearchView.vue'), meta: { title: 'Search' } },
    // Staff only: the view says so to anyone else (the API answers 403 either way).
    { path: '/stats', name: 'stats', component: () => import('@/views/StatsView.vue'), meta: { title: 'Statistics' } },
    {
      path: '/moderation',
      name: 'moderation',
      component: () => import('@/views/ModerationView.vue'),
      meta: { title: 'Reports' },
    },
    {
      path: '/login',
      name: 'login',
      component: () => import('@/views/LoginView.vue'),
      meta: { public: true, title: 'Sign in' },
    },
    // The mailed links (SITE_URL + path, parley/accounts/services.py) land on these three.
    {
      path: '/forgot-password',
      name: 'forgot-password',
      component: () => import('@/views/ForgotPasswordView.vue'),
      meta: { public: true, title: 'Reset your password' },
    },
    {
      path: '/reset-password',
      name: 'reset-password',
      component: () => import('@/views/ResetPasswordView.vue'),
      meta: { public: true, title: 'Choose a new password' },
    },
    {
      path: '/verify-email',
      name: 'verify-email',
      component: () => import('@/views/VerifyEmailView.vue'),
      meta: { public: true, title: 'Confirm your email address' },
    },
    // Invite links (issue 17): open to anyone holding one; signing in comes back here (?next=).
    {
      path: '/invite/:token',
      name: 'invite',
      component: () => import('@/views/InviteView.vue'),
      props: true,
      meta: { public: true, title: 'Invite' },
    },
    {
      path: '/account',
      name: 'account',
      component: () => import('@/views/AccountView.vue'),
      meta: { title: 'Your account' },
    },
    {
      path: '/:pathMatch(.*)*',
      name: 'not-found',
      component: () => import('@/views/NotFoundView.vue'),
      meta: { public: true, title: 'Not found' },
    },
  ],
})

function loginTarget(to: RouteLocationNormalized) {
  return to.fullPath && to.fullPath !== '/' ? { name: 'login', query: { next: to.fullPath } } : { name: 'login' }
}

router.beforeEach(async (to) => {
  const auth = useAuthStore()
  await auth.init()
  if (!to.meta.public && !auth.user) return loginTarget(to)
  if (to.name === 'login' && auth.user) return { name: 'lobby' }
  return true
})

router.afterEach((to) => {
  if (to.meta.title) document.title = `${to.meta.title} · Parley`
})

/** A 401 from any request: the session is gone, go to sign-in. */
setUnauthorizedHandler(() => {
  const auth = useAuthStore()
  auth.sessionLost()
  const current = router.currentRoute.value
  if (!current.meta.public) void router.replace(loginTarget(current))
})
