import { createRouter, createWebHistory, type RouteLocationNormalized } from 'vue-router'
import { setSecondFactorRequiredHandler, setUnauthorizedHandler } from '@/api'
import { useAuthStore } from '@/stores/auth'
import { onLocaleChange, t } from '@/i18n'

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
    { path: '/', name: 'lobby', component: () => import('@/views/LobbyView.vue'), meta: { title: 'route.lobby' } },
    {
      path: '/rooms/:id(\\d+)',
      name: 'room',
      component: () => import('@/views/RoomView.vue'),
      props: (route) => ({ id: Number(route.params.id) }),
    },
    { path: '/threads', name: 'threads', component: () => import('@/views/ThreadsView.vue'), meta: { title: 'route.threads' } },
    { path: '/search', name: 'search', component: () => import('@/views/SearchView.vue'), meta: { title: 'route.search' } },
    { path: '/saved', name: 'saved', component: () => import('@/views/SavedView.vue'), meta: { title: 'route.saved' } },
    {
      path: '/scheduled',
      name: 'scheduled',
      component: () => import('@/views/ScheduledView.vue'),
      meta: { title: 'route.scheduled' },
    },
    // Staff only: the view says so to anyone else (the API answers 403 either way).
    { path: '/stats', name: 'stats', component: () => import('@/views/StatsView.vue'), meta: { title: 'route.stats' } },
    {
      path: '/moderation',
      name: 'moderation',
      component: () => import('@/views/ModerationView.vue'),
      meta: { title: 'route.reports' },
    },
    {
      path: '/people',
      name: 'people',
      component: () => import('@/views/PeopleView.vue'),
      meta: { title: 'route.people' },
    },
    {
      path: '/login',
      name: 'login',
      component: () => import('@/views/LoginView.vue'),
      meta: { public: true, title: 'route.signIn' },
    },
    // The mailed links (SITE_URL + path, parley/accounts/services.py) land on these three.
    {
      path: '/forgot-password',
      name: 'forgot-password',
      component: () => import('@/views/ForgotPasswordView.vue'),
      meta: { public: true, title: 'route.forgotPassword' },
    },
    {
      path: '/reset-password',
      name: 'reset-password',
      component: () => import('@/views/ResetPasswordView.vue'),
      meta: { public: true, title: 'route.resetPassword' },
    },
    {
      path: '/verify-email',
      name: 'verify-email',
      component: () => import('@/views/VerifyEmailView.vue'),
      meta: { public: true, title: 'route.verifyEmail' },
    },
    // A staff invitation's mailed link (issue 31): creates the account, whatever REGISTRATION says.
    {
      path: '/invitation',
      name: 'invitation',
      component: () => import('@/views/InvitationView.vue'),
      meta: { public: true, title: 'route.invitation' },
    },
    // Invite links (issue 17): open to anyone holding one; signing in comes back here (?next=).
    {
      path: '/invite/:token',
      name: 'invite',
      component: () => import('@/views/InviteView.vue'),
      props: true,
      meta: { public: true, title: 'route.invite' },
    },
    {
      path: '/account',
      name: 'account',
      component: () => import('@/views/AccountView.vue'),
      meta: { title: 'route.account' },
    },
    // REQUIRE_2FA: someone without a second factor is held here (the API refuses the rest).
    {
      path: '/two-factor',
      name: 'two-factor',
      component: () => import('@/views/SecondFactorEnrolView.vue'),
      meta: { title: 'route.twoFactor' },
    },
    {
      path: '/:pathMatch(.*)*',
      name: 'not-found',
      component: () => import('@/views/NotFoundView.vue'),
      meta: { public: true, title: 'route.notFound' },
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

/** The page's title in the UI language (`meta.title` is a catalogue key); again after a switch. */
function setTitle(to: RouteLocationNormalized): void {
  if (to.meta.title) document.title = `${t(to.meta.title)} · Parley`
}
router.afterEach(setTitle)
onLocaleChange(() => {
  // A room's title is its name (set by RoomView), not a catalogue key.
  if (router.currentRoute.value.name !== 'room') setTitle(router.currentRoute.value)
})

/** A 401 from any request: the session is gone, go to sign-in. */
setUnauthorizedHandler((err) => {
  const auth = useAuthStore()
  auth.sessionLost(err.code === 'signed_out' ? err.reason : undefined)
  const current = router.currentRoute.value
  if (!current.meta.public) void router.replace(loginTarget(current))
})

/** A 403 `second_factor_required` (REQUIRE_2FA): to the enrolment screen, then back. */
setSecondFactorRequiredHandler(() => {
  const current = router.currentRoute.value
  if (current.name !== 'two-factor' && !current.meta.public) {
    void router.replace({ name: 'two-factor', query: current.fullPath !== '/' ? { next: current.fullPath } : {} })
  }
})
